"""A webhook secret and a delivered event, shared by the webhook tests."""

from __future__ import annotations

import base64

SECRET = "whsec_" + base64.b64encode(b"ftjobs test webhook secret 32 by").decode()
EVENT = {
    "id": "evt_abc123",
    "type": "fine_tuning.job.succeeded",
    "created_at": 1719168000,
    "data": {"id": "ftjob_abc123"},
    "object": "event",
}
