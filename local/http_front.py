"""Serve the template's API routes over HTTP with the proxy event API Gateway would send, authorizer included."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from local.auth import authorizer_context
from local.function_host import FunctionError
from local.template import load_template, resources_of_type

if TYPE_CHECKING:
    from collections.abc import Callable

    from local.auth import LocalAuthority


@dataclass(frozen=True)
class Route:
    """One ``Api`` event of a function in the template."""

    method: str
    path: str
    function: str  # logical id
    scopes: frozenset[str] | None  # any one of these admits a token; None: no authorizer on the route


def api_routes() -> list[Route]:
    """Every API route declared in ``template.yaml``."""
    apis = load_template()["Resources"]
    routes = []
    for logical_id, fn in resources_of_type("AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            api_auth = apis.get(props.get("RestApiId", {}).get("Ref", ""), {}).get("Properties", {}).get("Auth", {})
            routes.append(Route(props["Method"].upper(), props["Path"], logical_id, _scopes(api_auth, props)))
    return routes


def _scopes(api_auth: dict[str, Any], props: dict[str, Any]) -> frozenset[str] | None:
    """The scopes a route's Cognito authorizer asks for, as SAM reads them (the method's, else the
    authorizer's); None where the route has no authorizer."""
    auth = props.get("Auth", {})
    name = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
    if name in (None, "NONE"):
        return None
    default = api_auth.get("Authorizers", {}).get(name, {}).get("AuthorizationScopes", [])
    return frozenset(auth.get("AuthorizationScopes", default))


def _path_pattern(path: str) -> re.Pattern[str]:
    """``/workitems/{id}`` as a regex with a named group per path parameter."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)))


def proxy_event(
    route: Route, *, path: str, query: str, headers: dict[str, str], body: bytes, stage: str
) -> dict[str, Any]:
    """The REST API (v1) proxy event for one request."""
    params = parse_qs(query)
    text = body.decode("utf-8", errors="replace") if body else None
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in params.items()} or None,
        "multiValueQueryStringParameters": params or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": route.method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": text,
        "isBase64Encoded": False,
    }


def _find(routes: list[tuple[Route, re.Pattern[str]]], method: str, path: str) -> tuple[Route, re.Match[str]] | None:
    """The route (and its path match) a request goes to, as API Gateway picks it."""
    matches = [(r, m) for r, pattern in routes if (m := pattern.fullmatch(path))]
    return next(((r, m) for r, m in matches if r.method in {method, "ANY"}), None)


def _own_route(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    authority: LocalAuthority,
    control: Callable[[str, str], dict[str, Any] | None] | None,
) -> tuple[int, str] | None:
    """The local stack's own routes: the token endpoint and ``/__local/...``; None for an API route."""
    if (method, path) == ("POST", "/oauth2/token"):
        status, answer = authority.token_response(headers, body)
        return status, json.dumps(answer)
    if control is not None and path.startswith("/__local/"):
        found = control(method, path)
        return (200, json.dumps(found, default=str)) if found is not None else (404, '{"message":"Not Found"}')
    return None


def _authorize(
    authority: LocalAuthority, route: Route, authorization: str | None
) -> tuple[bool, dict[str, Any] | None]:
    """Whether the route admits the request, and the ``requestContext.authorizer`` API Gateway would pass
    (a Cognito authorizer's claims, as strings); None where the route has no authorizer."""
    if route.scopes is None:
        return True, None
    claims = authority.claims(authorization, route.scopes)
    if claims is None:
        return False, None
    return True, authorizer_context(claims)


def response_headers(headers: dict[str, str] | None, multi: dict[str, list[str]] | None) -> list[tuple[str, str]]:
    """What API Gateway sends for a proxy answer: ``headers`` and ``multiValueHeaders`` both (a name in
    both keeps the multi-value list)."""
    lists = {k.lower(): (k, v) for k, v in (multi or {}).items()}
    single = {"Content-Type": "application/json", **(headers or {})}
    pairs = [(k, v) for k, v in single.items() if k.lower() not in lists]
    return pairs + [(k, v) for k, values in lists.values() for v in values]


def _proxy_integration(invoke: Callable[[str, dict[str, Any]], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``invoke`` as API Gateway's proxy integration: a function that fails is a 502 to the caller."""

    def call(function: str, event: dict[str, Any]) -> dict[str, Any]:
        try:
            return invoke(function, event)
        except FunctionError:
            return {"statusCode": 502, "body": '{"message":"Internal server error"}'}

    return call


def make_server(
    host: str,
    port: int,
    authority: LocalAuthority,
    invoke: Callable[[str, dict[str, Any]], dict[str, Any]],
    control: Callable[[str, str], dict[str, Any] | None] | None = None,
) -> ThreadingHTTPServer:
    """An HTTP server dispatching template routes to ``invoke(function_logical_id, event)``.

    ``/__local/...`` paths go to ``control(method, path)`` (the stack's own inspection routes);
    ``POST /oauth2/token`` is the callers' token endpoint (Cognito's, in the cloud).
    """
    routes = [(r, _path_pattern(r.path)) for r in api_routes()]
    integration = _proxy_integration(invoke)

    class Handler(BaseHTTPRequestHandler):
        def _send(
            self,
            status: int,
            body: str,
            headers: dict[str, str] | None = None,
            multi: dict[str, list[str]] | None = None,
        ) -> None:
            data = body.encode()
            self.send_response(status)
            for k, v in response_headers(headers, multi):
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            own = _own_route(self.command, url.path, headers, body, authority=authority, control=control)
            if own is not None:
                self._send(*own)
                return
            found = _find(routes, self.command, url.path)
            if found is None:  # API Gateway answers an undeclared path or method so, before any token check
                self._send(403, '{"message":"Missing Authentication Token"}')
                return
            route, match = found
            authorized, claims = _authorize(authority, route, headers.get("authorization"))
            if not authorized:
                self._send(401, '{"message":"Unauthorized"}')  # what API Gateway answers, before any function
                return
            event = proxy_event(route, path=url.path, query=url.query, headers=headers, body=body, stage="local")
            event["pathParameters"] = match.groupdict() or None
            event["requestContext"]["authorizer"] = claims
            # Requests run side by side, as API Gateway invokes: each function's container still takes one
            # invocation at a time, so only different functions overlap (one lock for all cut ingest 2-3x).
            result = integration(route.function, event)
            status, text = int(result.get("statusCode", 200)), result.get("body") or ""
            self._send(status, text, result.get("headers"), result.get("multiValueHeaders"))

        def __getattr__(self, name: str) -> Any:
            """Every method (GET ... TRACE, QUERY, anything) goes to ``_dispatch``, as API Gateway takes them all."""
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return  # request lines would print client data; the handlers log what matters

    return ThreadingHTTPServer((host, port), Handler)
