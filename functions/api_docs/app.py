"""GET /openapi.json and GET /docs: the API's OpenAPI document (every route) and Swagger UI on it, no token.

The document is generated from the code by ``make openapi`` and packaged beside this module (a test fails
while it is stale), so answering costs a file read at cold start and nothing per request.
"""

from pathlib import Path
from typing import Any

DOCUMENT = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14"
# The page loads Swagger UI from its CDN and the document from this API; nothing else.
PAGE_POLICY = (
    f"default-src 'none'; script-src {SWAGGER_UI}/ 'unsafe-inline'; style-src {SWAGGER_UI}/; "
    "img-src data:; connect-src 'self'"
)
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxbridge API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui"}});</script>
</body></html>
"""


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("resource") == "/docs":
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_POLICY}
        return {"statusCode": 200, "headers": headers, "body": PAGE}
    headers = {"Content-Type": "application/json", "Cache-Control": "max-age=300"}
    return {"statusCode": 200, "headers": headers, "body": DOCUMENT}
