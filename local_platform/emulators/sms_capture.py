"""A local stand-in for AWS End User Messaging SMS: the `pinpoint-sms-voice-v2` JSON API, capturing texts.

It answers `SendTextMessage` as the service does (JSON 1.0 protocol, `X-Amz-Target:
PinpointSMSVoiceV2.SendTextMessage`), so the notification service's boto3 adapter talks to it
unchanged (AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2). Errors are the documented ones:
ValidationException for a number that is not E.164 or an empty body, ConflictException
(DESTINATION_PHONE_NUMBER_OPTED_OUT) for numbers on the opt-out list (`opted_out`),
ThrottlingException on demand (`throttle_next`). Every accepted text is kept with its
Context (where the service puts the delivery's key), and reported as the service's
configuration set reports it (TEXT_SUCCESSFUL, then TEXT_DELIVERED, in the documented event
shape) to each listener; on the local platform a listener puts them on the sender's queue, as
the SNS topic of the configuration set's event destination does in AWS.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from local_platform.emulators.http_server import EmulatorServer, Request, Response

TARGET_PREFIX = "PinpointSMSVoiceV2."
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _error(status: int, kind: str, message: str, **fields: Any) -> Response:
    return Response(
        status,
        json.dumps({"__type": kind, "Message": message, **fields}).encode(),
        {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": kind},
    )


class SmsCapture(EmulatorServer):
    name = "sms-capture"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.opted_out: set[str] = set()
        self.throttle_next = 0
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def received_by(self, phone: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m["to"] == phone]

    def respond(self, request: Request) -> Response:
        operation = request.headers.get("x-amz-target", "").removeprefix(TARGET_PREFIX)
        if operation != "SendTextMessage":
            return _error(
                400, "UnknownOperationException", f"{operation or 'no operation'} is not emulated here"
            )
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "SerializationException", "the body is not JSON")
        with self._lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return _error(400, "ThrottlingException", "Rate exceeded")
        return self._send(body)

    def _send(self, body: dict[str, Any]) -> Response:
        phone = str(body.get("DestinationPhoneNumber", ""))
        text = str(body.get("MessageBody", ""))
        if not E164.match(phone):
            return _error(
                400,
                "ValidationException",
                f"{phone!r} is not an E.164 phone number",
                Reason="INVALID_PARAMETER",
            )
        if not text:
            return _error(400, "ValidationException", "MessageBody is required", Reason="MISSING_PARAMETER")
        if phone in self.opted_out:
            return _error(
                400,
                "ConflictException",
                "The destination phone number is opted out",
                Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                ResourceType="opt-out-list",
                ResourceId="Default",
            )
        message = {
            "message_id": str(uuid.uuid4()),
            "to": phone,
            "body": text,
            "type": body.get("MessageType"),
            "origination": body.get("OriginationIdentity"),
            "configuration_set": body.get("ConfigurationSetName"),
            "context": body.get("Context", {}),
        }
        with self._lock:
            self.messages.append(message)
        for event_type in ("TEXT_SUCCESSFUL", "TEXT_DELIVERED"):
            for listener in list(self.listeners):
                listener(sms_event(message, event_type))
        return Response.json(200, {"MessageId": message["message_id"]})


def sms_event(message: dict[str, Any], event_type: str) -> dict[str, Any]:
    """An SMS event as a configuration set's event destination publishes it."""
    now = int(time.time() * 1000)
    return {
        "eventType": event_type,
        "eventVersion": 1,
        "eventTimestamp": now,
        "isFinal": event_type == "TEXT_DELIVERED",
        "originationPhoneNumber": message.get("origination") or "+15555550100",
        "destinationPhoneNumber": message["to"],
        "messageId": message["message_id"],
        "messageRequestTimestamp": now,
        "messageEncoding": "GSM",
        "messageType": message.get("type") or "TRANSACTIONAL",
        "messageStatus": "DELIVERED" if event_type == "TEXT_DELIVERED" else "SUCCESSFUL",
        "messageStatusDescription": "Message has been accepted by phone"
        if event_type == "TEXT_DELIVERED"
        else "Message accepted by carrier",
        "totalMessageParts": 1,
        "configurationSetName": message.get("configuration_set"),
        "context": message.get("context", {}),
    }
