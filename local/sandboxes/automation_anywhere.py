"""A fake Automation Anywhere Control Room: API-key login, bot deploys, the activity list, callbacks.

Every accepted deploy is a new run, as on the real Control Room (there is no idempotency key), so
``state()["deployments"]`` shows whether a client deployed twice. ``complete`` (or
``POST /__sandbox/complete {"deploymentId", "status", "botOutput"}``) finishes a run and POSTs the
callback to the ``callbackInfo.url`` it was deployed with, carrying its ``callbackInfo.headers``. The
callback body is the peer-documented ``{deploymentId, status, deviceId, userId, botOutput}``.
The repository's file list and the user management API answer what ``cxbridge setup`` checks: the bot
exists, and each run-as user holds an unattended runner licence (``licenseFeatures`` has ``RUNTIME``).

Workload Management (issue 16): ``POST /v3/wlm/queues/{id}/workitems`` adds a list of work items (each a
new item, status ``NEW``; no idempotency key, as documented), ``.../workitems/list`` lists them with the
same filters. The queue's "bot" is ``process_workitems``: it takes the ``NEW`` items and completes,
fails (``result`` its reason) or defers (``DEFERRED``, on hold) each by the ``workitem_*_ratio`` knobs,
then POSTs ``{queueId, workItemId, status, result}`` to ``workitem_callback_url`` with the token its
``json`` carries (``callback_token_attribute``) as our callback header; ``callback_lost_ratio`` drops
callbacks, as a bot that died before reporting.
"""

from __future__ import annotations

import copy
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from local.sandboxes.base import SANDBOX_SECRET, Knobs, Reply, Request, Route, SandboxServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

# The demo Control Room: the bot and the runner the README's example mapping names.
DEMO_BOTS = {87: {"id": "87", "name": "Update call log", "path": "Automation\\cxbridge\\Update call log",
                  "type": "application/vnd.aa.taskbot"}}  # fmt: skip
DEMO_USERS = {3: {"id": 3, "username": "runner_01", "licenseFeatures": ["RUNTIME"], "disabled": False}}
INPUT_TYPES = frozenset({"STRING", "NUMBER", "BOOLEAN", "LIST", "DICTIONARY", "DATETIME"})
CALLBACK_TIMEOUT_S = 5.0
CALLBACK_HEADER = "X-Cxbridge-Callback-Token"  # what cxbridge.crm.callback_token checks
DEMO_QUEUES = frozenset({12})
# Work items per add request the fake accepts (the real maximum is unconfirmed).
MAX_WORKITEMS_PER_REQUEST = 500
WORKITEM_FAILURE = "sandbox.bot.failed"
MAX_VALUE_CHARS = 1000  # "values up to 1,000 chars" (the WLM guidelines); one such item refuses the whole add


@dataclass
class AutomationAnywhereKnobs(Knobs):
    """``device_available``: False makes a deploy fail with 412, as when the default device is offline or busy."""

    device_available: bool = True
    # The WLM queue's bot: the share of items it fails or defers, and of results it never reports.
    workitem_fail_ratio: float = 0.0
    workitem_defer_ratio: float = 0.0
    callback_lost_ratio: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        shares = (self.workitem_fail_ratio, self.workitem_defer_ratio, self.callback_lost_ratio)
        if any(not 0.0 <= r <= 1.0 for r in shares) or self.workitem_fail_ratio + self.workitem_defer_ratio > 1.0:
            raise ValueError("work item ratios must lie in [0, 1]; fail + defer at most 1")


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


def _bot_input_error(bot_input: Any) -> str | None:
    """Why a ``botInput`` is malformed: each value is ``{"type": T, "<t in lower case>": value}``; DATETIME uses
    ``string``."""
    if not isinstance(bot_input, dict):
        return "botInput must be an object"
    for name, variable in bot_input.items():
        kind = variable.get("type") if isinstance(variable, dict) else None
        if kind not in INPUT_TYPES:
            return f"botInput.{name}: unknown type"
        value_key = "string" if kind == "DATETIME" else str(kind).lower()
        if value_key not in variable:
            return f"botInput.{name}: missing {value_key}"
    return None


def _deploy_error(body: Any) -> str | None:
    """Why a deploy request is malformed, if it is."""
    if not isinstance(body, dict) or not isinstance(body.get("fileId"), int):
        return "fileId is required"
    users = body.get("runAsUserIds")
    if not isinstance(users, list) or not users or not all(isinstance(u, int) for u in users):
        return "runAsUserIds is required"
    return _bot_input_error(body.get("botInput", {}))


def _workitems_error(entries: Any) -> Reply | None:
    """Why an add request's ``workItems`` is refused, if it is (the whole request: nothing is added)."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        return _error(400, "wlm.workitems.invalid", "workItems must be a non-empty list")
    if len(entries) > MAX_WORKITEMS_PER_REQUEST:
        return _error(400, "wlm.workitems.too.many", "too many work items in one request")
    if not all(isinstance(e.get("json"), dict) for e in entries):
        return _error(400, "wlm.workitems.invalid", "each work item needs a json object")
    if any(len(str(v)) > MAX_VALUE_CHARS for e in entries for v in e["json"].values()):
        return _error(400, "wlm.workitem.value.too.long", "a work item value is longer than allowed")
    return None


def _matches(item: dict[str, Any], rule: Any) -> bool:
    """The activity-list filter: ``eq``/``ne``/``gt``/``lt`` on a field (compared as text, which orders ISO
    times), ``and``/``or`` over ``operands``."""
    if not isinstance(rule, dict):
        raise TypeError("filter must be an object")
    operator = rule.get("operator")
    if operator in ("and", "or"):
        results = (_matches(item, operand) for operand in rule.get("operands") or [])
        return all(results) if operator == "and" else any(results)
    if operator in ("eq", "ne"):
        equal = str(item.get(str(rule.get("field")))) == str(rule.get("value"))
        return equal if operator == "eq" else not equal
    if operator in ("gt", "lt"):
        held, value = str(item.get(str(rule.get("field")))), str(rule.get("value"))
        return held > value if operator == "gt" else held < value
    raise TypeError(f"unsupported operator {operator!r}")


class AutomationAnywhereSandbox(SandboxServer[AutomationAnywhereKnobs]):
    """A Control Room at ``url``; callbacks only go to ``callback_hosts`` (loopback by default)."""

    def __init__(
        self,
        *,
        username: str = "svc_api",
        api_key: str = SANDBOX_SECRET,
        callback_hosts: Iterable[str] = ("127.0.0.1", "localhost"),
        knobs: AutomationAnywhereKnobs | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` stamps each run's ``createdOn`` (tests move it with their own)."""
        self.clock = clock
        self.username = username
        self.api_key = api_key
        self.callback_hosts = frozenset(callback_hosts)
        self.deployments: dict[str, dict[str, Any]] = {}  # deploymentId → the run, in deploy order
        self.bots = copy.deepcopy(DEMO_BOTS)  # file id → repository entry
        self.queues: dict[int, dict[str, dict[str, Any]]] = {q: {} for q in DEMO_QUEUES}  # queue → id → item
        self.workitem_callback_url: str | None = None
        self.callback_token_attribute = "cxbCallbackToken"  # noqa: S105 - an attribute name, not a secret
        self._next_item = 0
        self.users = copy.deepcopy(DEMO_USERS)  # user id → user
        super().__init__(knobs or AutomationAnywhereKnobs(), seed=seed, host=host, port=port)

    def api_routes(self) -> Sequence[Route]:
        return [
            Route("POST", re.compile(r"/v1/authentication"), "authentication", self._authenticate, "token"),
            Route("POST", re.compile(r"/v3/automations/deploy"), "deploy", self._deploy),
            Route("POST", re.compile(r"/v3/activity/list"), "activity_list", self._activity_list),
            Route("POST", re.compile(r"/v3/wlm/queues/(?P<queue_id>\d+)/workitems"), "wlm_add", self._wlm_add),
            Route("POST", re.compile(r"/v3/wlm/queues/(?P<queue_id>\d+)/workitems/list"), "wlm_list", self._wlm_list),
            Route("POST", re.compile(r"/v2/repository/workspaces/\w+/files/list"), "files_list", self._files_list),
            Route("GET", re.compile(r"/v1/usermanagement/users/(?P<user_id>\d+)"), "user", self._user),
            Route("POST", re.compile(r"/__sandbox/complete"), "complete", self._complete_route, "control"),
        ]

    def throttle_reply(self) -> Reply:
        return Reply(429, {"code": "too.many.requests", "message": "Too many requests"}, {"Retry-After": "2"})

    def fail_reply(self) -> Reply:
        return _error(500, "internal.server.error", "Internal server error")

    def extra_state(self) -> dict[str, Any]:
        items = [item for queue in self.queues.values() for item in queue.values()]
        return {"deployments": copy.deepcopy(list(self.deployments.values())), "workitems": copy.deepcopy(items)}

    def complete(self, deployment_id: str, status: str = "COMPLETED", bot_output: dict[str, Any] | None = None) -> int:
        """Finish a run and POST its callback; the callback's HTTP status (0 when it could not be delivered)."""
        with self.lock:
            run = self.deployments[deployment_id]
            run.update(status=status, progress=100)
            callback = copy.deepcopy(run.get("callbackInfo") or {})
            user_ids = run.get("runAsUserIds") or [None]
        url = callback.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("the run has no http(s) callback URL")
        if urlsplit(url).hostname not in self.callback_hosts:
            raise ValueError("the callback URL's host is not allowed")
        payload = {
            "deploymentId": deployment_id,
            "status": status,
            "deviceId": "sandbox-device",
            "userId": user_ids[0],
            "botOutput": bot_output or {},
        }
        headers = {"Content-Type": "application/json", **callback.get("headers", {})}
        return _post_callback(url, payload, headers)

    # ---- Workload Management ----------------------------------------------------------------------

    def _wlm_add(self, request: Request) -> Reply:
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        queue = self.queues.get(int(request.params["queue_id"]))
        if queue is None:
            return _error(404, "wlm.queue.not.found", "Queue not found")
        try:
            body = request.json()
        except ValueError:
            body = None
        entries = body.get("workItems") if isinstance(body, dict) else None
        refusal = _workitems_error(entries)
        if refusal is not None or not isinstance(entries, list):
            return refusal or _error(400, "wlm.workitems.invalid", "workItems must be a list")
        now = datetime.fromtimestamp(self.clock(), tz=UTC).isoformat()
        added = []
        for entry in entries:
            self._next_item += 1
            item = {
                "id": str(self._next_item),
                "queueId": int(request.params["queue_id"]),
                "json": copy.deepcopy(entry["json"]),
                "status": "NEW",
                "result": "",
                "version": 1,
                "createdOn": now,
                "updatedOn": now,
            }
            queue[item["id"]] = item
            added.append(copy.deepcopy(item))
        return Reply(200, {"list": added})

    def _wlm_list(self, request: Request) -> Reply:
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        queue = self.queues.get(int(request.params["queue_id"]))
        if queue is None:
            return _error(404, "wlm.queue.not.found", "Queue not found")
        try:
            body = request.json() or {}
            rule = body.get("filter")
            page = body.get("page") or {}
            offset, length = int(page.get("offset", 0)), int(page.get("length", 200))
            matched = [copy.deepcopy(i) for i in queue.values() if rule is None or _matches(i, rule)]
        except (ValueError, TypeError, AttributeError) as exc:
            return _error(400, "bad.request", str(exc))
        shown = matched[offset : offset + length]
        return Reply(200, {"page": {"offset": offset, "total": len(queue), "totalFilter": len(matched)}, "list": shown})

    def process_workitems(self, limit: int | None = None) -> dict[str, int]:
        """The queue's bot: take up to ``limit`` ``NEW`` items, end each by the knobs, call back; counts by
        status, and ``callbacks`` delivered."""
        with self.lock:
            due = [i for q in self.queues.values() for i in q.values() if i["status"] == "NEW"][:limit]
            done: list[dict[str, Any]] = []
            counts: dict[str, int] = {}
            for item in due:
                draw = self.rng.random()
                k = self.knobs
                if draw < k.workitem_fail_ratio:
                    item.update(status="FAILED", result=WORKITEM_FAILURE)
                elif draw < k.workitem_fail_ratio + k.workitem_defer_ratio:
                    item.update(status="DEFERRED")
                else:
                    item.update(status="COMPLETED", result="ok")
                item["version"] += 1
                counts[item["status"]] = counts.get(item["status"], 0) + 1
                if item["status"] != "DEFERRED" and self.rng.random() >= k.callback_lost_ratio:
                    done.append(copy.deepcopy(item))
        counts["callbacks"] = sum(200 <= self._workitem_callback(item) < 300 for item in done)
        return counts

    def end_workitem(self, queue_id: int, item_id: str, status: str, result: str = "") -> int:
        """End one item as ``status`` (a deferred one, say) and call back; the callback's HTTP status."""
        with self.lock:
            item = self.queues[queue_id][item_id]
            item.update(status=status, result=result)
            item["version"] += 1
            item = copy.deepcopy(item)
        return self._workitem_callback(item)

    def _workitem_callback(self, item: dict[str, Any]) -> int:
        url = self.workitem_callback_url
        if url is None:
            return 0
        if urlsplit(url).scheme not in ("http", "https") or urlsplit(url).hostname not in self.callback_hosts:
            raise ValueError("the callback URL's host is not allowed")
        payload = {"queueId": item["queueId"], "workItemId": item["id"], "status": item["status"],
                   "result": item["result"]}  # fmt: skip
        headers = {"Content-Type": "application/json"}
        token = item["json"].get(self.callback_token_attribute)
        if isinstance(token, str):
            headers[CALLBACK_HEADER] = token
        return _post_callback(url, payload, headers)

    def _authenticate(self, request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "bad.request", "The request body is not valid JSON")
        if not isinstance(body, dict) or body.get("username") != self.username or body.get("apiKey") != self.api_key:
            return _error(401, "um.login.invalid.credentials", "Invalid credentials")
        return Reply(
            200, {"token": self.issue_token("eyJhbGciOiJSUzUxMiJ9.sandbox."), "user": {"username": self.username}}
        )

    def _deploy(self, request: Request) -> Reply:
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        try:
            body = request.json()
        except ValueError:
            body = None
        problem = _deploy_error(body)
        if problem is not None:
            return _error(400, "bot.deploy.invalid", problem)
        if not self.knobs.device_available:
            return _error(412, "bot.deploy.device.unavailable", "No device is available to run the bot")
        deployment_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        automation_name = f"bot-{body['fileId']}_{len(self.deployments) + 1:04d}_API"
        self.deployments[deployment_id] = {
            "deploymentId": deployment_id,
            "automationName": automation_name,
            "fileId": body["fileId"],
            "runAsUserIds": body["runAsUserIds"],
            "poolIds": body.get("poolIds", []),
            "overrideDefaultDevice": body.get("overrideDefaultDevice", False),
            "botInput": body.get("botInput", {}),
            "callbackInfo": body.get("callbackInfo"),
            "status": "DEPLOYED",
            "progress": 0,
            "createdOn": datetime.fromtimestamp(self.clock(), tz=UTC).isoformat(),
        }
        return Reply(201, {"deploymentId": deployment_id, "automationName": automation_name})

    def _activity_list(self, request: Request) -> Reply:
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        try:
            body = request.json() or {}
            rule = body.get("filter")
            runs = [
                {
                    "id": f"{run['deploymentId']}_{index:016x}",
                    **{
                        k: run[k]
                        for k in ("deploymentId", "automationName", "fileId", "status", "progress", "createdOn")
                    },
                }
                for index, run in enumerate(self.deployments.values(), start=1)
            ]
            matched = [run for run in runs if rule is None or _matches(run, rule)]
        except (ValueError, TypeError, AttributeError) as exc:
            return _error(400, "bad.request", str(exc))
        return Reply(200, {"page": {"offset": 0, "total": len(runs), "totalFilter": len(matched)}, "list": matched})

    def _files_list(self, request: Request) -> Reply:
        """``POST /v2/repository/workspaces/{type}/files/list`` with a ``filter``: ``{"page", "list"}``."""
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        try:
            rule = (request.json() or {}).get("filter")
            matched = [copy.deepcopy(f) for f in self.bots.values() if rule is None or _matches(f, rule)]
        except (ValueError, TypeError, AttributeError) as exc:
            return _error(400, "bad.request", str(exc))
        return Reply(
            200, {"page": {"offset": 0, "total": len(self.bots), "totalFilter": len(matched)}, "list": matched}
        )

    def _user(self, request: Request) -> Reply:
        """``GET /v1/usermanagement/users/{id}``: the user with its licences."""
        if not self.token_valid(request.headers.get("X-Authorization")):
            return _error(401, "um.token.invalid", "Unauthorized")
        user = self.users.get(int(request.params["user_id"]))
        if user is None:
            return _error(404, "um.user.not.found", "User not found")
        return Reply(200, copy.deepcopy(user))

    def _complete_route(self, request: Request) -> Reply:
        try:
            body = request.json()
            status = self.complete(str(body["deploymentId"]), body.get("status", "COMPLETED"), body.get("botOutput"))
        except (ValueError, TypeError, KeyError) as exc:
            return Reply(400, {"error": str(exc) or type(exc).__name__})
        return Reply(200, {"callbackStatus": status})


def _post_callback(url: str, payload: dict[str, Any], headers: dict[str, str]) -> int:
    """POST a run's or a work item's result as the Control Room does; its status code (0: no answer)."""
    request = urllib.request.Request(url, json.dumps(payload).encode(), headers, method="POST")  # noqa: S310 - scheme and host checked by the callers
    try:
        with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_S) as response:  # noqa: S310 - as above
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0
