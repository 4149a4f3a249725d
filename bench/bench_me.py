"""GET /api/users/@me/ with a personal API key against a bare Django view doing the same key
lookup and returning the same JSON (issue #2). Target: API p50 ≤ 1.5× the bare view's."""

from __future__ import annotations

import json

from bench.harness import Context, time_calls

REQUESTS = 2000


def run(ctx: Context) -> None:
    from accounts.services import account_bootstrap, personal_api_key_create

    user, _ = account_bootstrap(email="bench@example.com", password="bench-password", organization="Bench", project="Bench")
    key = personal_api_key_create(user=user, label="bench", scopes=["*"])
    client = ctx.http({"Authorization": f"Bearer {key._plain_value}"})

    api_status, api_body, _ = client.get("/api/users/@me/")
    bare_status, bare_body, _ = client.get("/_bench/me")
    assert api_status == bare_status == 200, (api_status, bare_status)
    assert json.loads(api_body) == json.loads(bare_body), "the baseline must return the same JSON"

    # Interleave the two so drift on a shared machine hits both alike.
    api, bare = [], []
    for _ in range(REQUESTS // 100):
        api += time_calls(lambda: client.get("/api/users/@me/"), 100, warmup=5)
        bare += time_calls(lambda: client.get("/_bench/me"), 100, warmup=5)
    ctx.report_latencies("users_me", api, "bare_view", bare)
