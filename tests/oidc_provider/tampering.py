"""For the client "tampered" only: the ID token's claims are changed after signing, as an
attacker between the provider and the app would, so its signature no longer holds."""

import base64
import json


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TamperedTokens:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.endswith("/token/") or response.status_code != 200:
            return response
        if request.POST.get("client_id") != "tampered":
            return response
        body = json.loads(response.content)
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(_unb64(payload))
        claims["sub"] = "someone-else"
        body["id_token"] = ".".join([header, _b64(json.dumps(claims).encode()), signature])
        response.content = json.dumps(body).encode()
        response["Content-Length"] = str(len(response.content))
        return response
