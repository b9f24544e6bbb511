"""The claims the test provider gives: the address, confirmed unless it starts with
"unverified", and the name."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.email.startswith("unverified"),
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
