"""Small, valid training data: ``ftjobs files sample`` prints it and ``ftjobs demo`` uploads it.

Each line of a chat fine-tuning file is one example: a ``messages`` list (system, user,
assistant) that shows the model the answer it should learn to give.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from typing import Any

__all__ = [
    "SUPPORT_ANSWERS",
    "SYSTEM",
    "chat_examples",
    "jsonl",
    "preference_examples",
    "reinforcement_examples",
    "sample_file",
]

SYSTEM = "You are Ada, the support assistant of Acme Cloud. Answer in two sentences at most."

#: (question, answer) pairs of a support bot: the sample file has one example per pair.
SUPPORT_ANSWERS: tuple[tuple[str, str], ...] = (
    (
        "How do I reset my password?",
        "Open Settings > Security and choose 'Reset password'; we email you a link that works "
        "for 30 minutes.",
    ),
    (
        "Can I change the email address on my account?",
        "Yes: Settings > Profile > Email. We send a confirmation to both addresses.",
    ),
    (
        "Where do I find my invoices?",
        "Billing > Invoices lists every invoice as a PDF; the newest is at the top.",
    ),
    (
        "Why was my card declined?",
        "Usually the bank blocked an international payment. Ask your bank to allow Acme Cloud, "
        "then retry under Billing > Payment methods.",
    ),
    (
        "How do I cancel my subscription?",
        "Billing > Plan > Cancel. You keep access until the end of the period you paid for.",
    ),
    (
        "Do you offer refunds?",
        "Yes, within 14 days of a charge: reply to the receipt email and we refund it in full.",
    ),
    (
        "How do I add a teammate?",
        "Team > Invite, enter their email and pick a role; the invitation lasts 7 days.",
    ),
    (
        "Is two-factor authentication available?",
        "Yes: Settings > Security > Two-factor. We support authenticator apps and security keys.",
    ),
    (
        "My deployment is stuck in 'pending'. What can I do?",
        "Check the Events tab for a failed health check; redeploying after fixing it usually "
        "clears it.",
    ),
    (
        "How do I download my data?",
        "Settings > Privacy > Export builds an archive and emails you a link within an hour.",
    ),
    (
        "Which regions do you run in?",
        "Frankfurt, Virginia and Singapore; pick one when you create a project.",
    ),
    (
        "How do I contact a human?",
        "Write 'agent' in this chat or email support@acme.example; we answer within 4 hours.",
    ),
)


def jsonl(examples: Iterable[dict[str, Any]]) -> bytes:
    """Examples as JSON Lines (one compact JSON object per line)."""
    return "".join(json.dumps(example) + "\n" for example in examples).encode()


def chat_examples(
    count: int = len(SUPPORT_ANSWERS), rng: random.Random | None = None, *, reworded: bool = False
) -> bytes:
    """A chat fine-tuning file of ``count`` examples (in order, or shuffled by ``rng``)."""
    return jsonl(
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        }
        for question, answer in _pairs(count, rng, reworded)
    )


def preference_examples(
    count: int, rng: random.Random | None = None, *, reworded: bool = False
) -> bytes:
    """A preference (DPO) file of ``count`` examples: the sample answer is preferred."""
    return jsonl(
        {
            "input": {"messages": [{"role": "user", "content": question}]},
            "preferred_output": [{"role": "assistant", "content": answer}],
            "non_preferred_output": [{"role": "assistant", "content": "Please check the docs."}],
        }
        for question, answer in _pairs(count, rng, reworded)
    )


def reinforcement_examples(
    count: int, rng: random.Random | None = None, *, reworded: bool = False
) -> bytes:
    """A reinforcement file of ``count`` examples: the question, and under
    ``reference_answer`` the answer a grader compares the model's with
    (``{{ item.reference_answer }}``)."""
    return jsonl(
        {
            "messages": [
                {"role": "developer", "content": SYSTEM},
                {"role": "user", "content": question},
            ],
            "reference_answer": answer,
        }
        for question, answer in _pairs(count, rng, reworded)
    )


_SAMPLES = {
    "supervised": chat_examples,
    "dpo": preference_examples,
    "reinforcement": reinforcement_examples,
}


def sample_file(method: str = "supervised", *, validation: bool = False) -> bytes:
    """What ``ftjobs files sample`` prints: a training file for ``method``, or with
    ``validation`` one with the questions worded differently (a job's ``validation_file``)."""
    return _SAMPLES[method](len(SUPPORT_ANSWERS), None, reworded=validation)


def _reworded(question: str) -> str:
    return f"Quick question: {question[0].lower()}{question[1:]}"


def _pairs(count: int, rng: random.Random | None, reworded: bool = False) -> list[tuple[str, str]]:
    pairs = [SUPPORT_ANSWERS[i % len(SUPPORT_ANSWERS)] for i in range(count)]
    if reworded:
        pairs = [(_reworded(question), answer) for question, answer in pairs]
    if rng is not None:
        rng.shuffle(pairs)
    return pairs
