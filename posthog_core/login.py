"""Session login (`/api-auth/login/`) with a lockout: too many failures for one account or from one
address within a window, and every attempt gets 429 until that window closes, the right password too.

Each attempt is charged to both counters before the password is checked (an atomic increment in the
shared store, ratelimit.py), so parallel guesses cannot slip past the limit; a successful login gives
its charge back, so the counters hold failures (and refused attempts). Each failure and each refusal
is logged with the account name and address, never the password.

NOTE: the address is REMOTE_ADDR. Behind a reverse proxy every client shares the proxy's address,
so the per-address limit then applies to all of them together.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import JsonResponse

from posthog_core.metrics import THROTTLE_REJECTIONS
from posthog_core.ratelimit import Bucket, hit_or_none, refund, wait_for

logger = logging.getLogger("posthog_core.login")


def lockout_buckets(*, username: str, address: str) -> list[Bucket]:
    window = settings.LOGIN_LOCKOUT_WINDOW_SECONDS
    # Hashed: account names stay out of the counter store, and any length fits its key column.
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [
        Bucket(f"login:account:{account}", settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES, window),
        Bucket(f"login:address:{address}", settings.LOGIN_LOCKOUT_ADDRESS_FAILURES, window),
    ]


def locked_out_response(wait: float) -> JsonResponse:
    seconds = max(1, round(wait))
    response = JsonResponse(
        {
            "type": "throttled_error",
            "code": "throttled",
            "detail": f"Too many failed login attempts. Try again in {seconds} seconds.",
            "attr": None,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class LockoutLoginView(LoginView):
    template_name = "rest_framework/login.html"

    def post(self, request, *args, **kwargs):
        username = str(request.POST.get("username", ""))[:254]
        address = request.META.get("REMOTE_ADDR", "") or "unknown"
        self.lockout = lockout_buckets(username=username, address=address)
        counts = hit_or_none(self.lockout)
        wait = wait_for(counts) if counts else None
        if wait is not None:
            THROTTLE_REJECTIONS.labels(scope="login").inc()
            logger.warning("login refused (locked out) username=%r address=%s", username, address)
            return locked_out_response(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        refund(self.lockout)
        return super().form_valid(form)

    def form_invalid(self, form):
        logger.warning(
            "login failed username=%r address=%s",
            str(self.request.POST.get("username", ""))[:254], self.request.META.get("REMOTE_ADDR", ""),
        )
        return super().form_invalid(form)
