"""A local stand-in for the Bot Framework's OpenID metadata and signing keys, on 127.0.0.1.

It serves the metadata document (`.../openidconfiguration`) and the JSON Web Key Set
(any path ending `/keys`), with RSA keys generated for the test run, and signs tokens
with them. A second, rogue key signs tokens the bot must refuse. Every request is
recorded, so a test can show the bot fetched keys from here and not the internet.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KID = "local-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OpenIdServer:
    """`with OpenIdServer() as keys:`; point QA_BOT_TEAMS_OPENID_URL at `keys.openid_url`."""

    def __init__(self) -> None:
        self.key = new_key()
        self.rogue = new_key()
        self.requests: list[str] = []
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwks = {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path.endswith("/openidconfiguration"):
                    payload: dict[str, Any] | None = server.metadata()
                elif self.path.endswith("/keys"):
                    payload = jwks
                else:
                    payload = None
                body = json.dumps(payload or {"error": "not found"}).encode()
                self.send_response(200 if payload else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openid_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    def metadata(self) -> dict[str, Any]:
        """The document's shape as login.botframework.com publishes it."""
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": f"{self.base}/v1/authorize",
            "jwks_uri": f"{self.base}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def token(
        self,
        *,
        audience: str,
        service_url: str | None,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        issued_at: float | None = None,
        lifetime: float = 600,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        **claims: Any,
    ) -> str:
        """A Bot Framework connector token; every part can be made wrong for a test."""
        issued = int(time.time() if issued_at is None else issued_at)
        body: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + int(lifetime),
            **claims,
        }
        if service_url is not None:
            body["serviceurl"] = service_url
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid})

    def __enter__(self) -> OpenIdServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
