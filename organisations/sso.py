"""Single sign-on with OpenID Connect, per organisation, on mozilla-django-oidc: which
organisation's provider a login goes to, its settings read from the issuer's discovery document,
the client secret kept encrypted, and who may sign in (a person of that organisation, matched by
a confirmed e-mail address of one of its domains; optionally created in a default team).

mozilla-django-oidc reads one provider from settings; here every step reads the organisation's
own instead, remembered in the session by the login's ``state``. It checks state and nonce and
the ID token's signature against the provider's keys; the audience and issuer are checked here.
"""

import hashlib
import logging

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from organisations.models import Membership, Role, SingleSignOn, User
from organisations.sealing import decrypt_secret

logger = logging.getLogger(__name__)

SESSION_KEY = "kk_sso_states"  # state -> SingleSignOn id, for the callback
DISCOVERY_SECONDS = 3600


class Refused(Exception):
    """A sign-in that must not happen; the message is for the person."""


def discovery(issuer: str) -> dict:
    """The provider's OpenID configuration, cached for an hour; its issuer must be ours."""
    issuer = issuer.rstrip("/")
    key = "sso-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        response = requests.get(
            issuer + "/.well-known/openid-configuration", timeout=settings.SSO_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        found = response.json()
        if found.get("issuer", "").rstrip("/") != issuer:
            raise SuspiciousOperation("the provider's discovery document names another issuer")
        cache.set(key, found, DISCOVERY_SECONDS)
    return found


def for_email(email: str) -> SingleSignOn | None:
    candidates = SingleSignOn.objects.for_email(email).select_related("organisation")
    return next((sso for sso in candidates if sso.covers(email)), None)


def remember(request, state: str, sso: SingleSignOn) -> None:
    states = request.session.get(SESSION_KEY, {})
    states = dict(list(states.items())[-20:])  # a few logins in parallel tabs, no more
    states[state] = sso.pk
    request.session[SESSION_KEY] = states


def recalled(request) -> SingleSignOn | None:
    pk = request.session.get(SESSION_KEY, {}).get(request.GET.get("state", ""))
    if pk is None:
        return None
    return SingleSignOn.objects.enabled().select_related("organisation").filter(pk=pk).first()


class OrganisationOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the organisation's provider instead of settings."""

    def __init__(self, *args, **kwargs):
        # The library reads one provider from settings here; ours is known per login.
        self.UserModel = User
        self.sso = None
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    def configure(self, sso: SingleSignOn) -> None:
        found = discovery(sso.issuer)
        self.sso = sso
        self.issuer = found["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = found["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = found["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = found["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = sso.client_id
        self.OIDC_RP_CLIENT_SECRET = decrypt_secret(sso.client_secret_encrypted)

    def authenticate(self, request, **kwargs):
        if request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        sso = recalled(request)
        if sso is None:
            raise Refused(REFUSALS["state"])
        self.configure(sso)
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        try:
            payload = super().verify_token(token, **kwargs)
        except SuspiciousOperation as exc:
            logger.warning("single sign-on token refused: %s", exc)
            raise Refused(REFUSALS["nonce" if "Nonce" in str(exc) else "token"]) from None
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences or payload.get("iss") != self.issuer:
            raise Refused(REFUSALS["token"])
        return payload

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except Exception as exc:  # a token no key of the provider's signed, or unreadable
            logger.warning("single sign-on token has no matching key: %s", exc)
            raise Refused(REFUSALS["token"]) from None

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise Refused(REFUSALS["token"])
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is not True:
            raise Refused(REFUSALS["unverified"])
        if not self.sso.covers(email):
            raise Refused(REFUSALS["domain"])
        people = User.objects.in_organisation(self.sso.organisation).filter(email__iexact=email)
        if len(people) == 1:
            return people[0]
        if len(people) > 1:
            raise Refused(REFUSALS["ambiguous"])
        if User.objects.filter(username=email.casefold()).exists():
            raise Refused(REFUSALS["domain"])
        if not self.sso.create_people or self.sso.default_team is None:
            raise Refused(REFUSALS["unknown"])
        person = User.objects.create_user(
            email.casefold(),
            email=email,
            first_name=(claims.get("given_name") or "")[:150],
            last_name=(claims.get("family_name") or "")[:150],
            organisation=self.sso.organisation,
            role=Role.EMPLOYEE,
        )
        Membership.objects.create(user=person, team=self.sso.default_team)
        return person

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id, is_active=True).first()


# Why a sign-in is refused; the page that shows it says so in words (sso_views).
REASONS = ("state", "nonce", "token", "unverified", "domain", "unknown", "ambiguous")
REFUSALS = {reason: reason for reason in REASONS}


class PasswordBackend(ModelBackend):
    """Django's password login, except for people whose organisation switched it off (they
    sign in with its own account)."""

    def user_can_authenticate(self, user):
        organisation = getattr(user, "organisation", None)
        if organisation is not None and not organisation.password_login:
            return False
        return super().user_can_authenticate(user)
