"""``client.jobs`` of `AsyncTogetherClient`: the jobs API as Together AI has it.

The shared methods (retrieve, list, cancel, events, checkpoints, the waits) are `Jobs`'
own, read through the Together dialect's adapters; here are the ones whose request differs
(create, list, metrics) and Together's own (estimate_price, delete, model_limits,
supported_models, download).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .. import _validation as check
from .. import metrics as curve
from .._converter import structure
from .._models import (
    FineTuneMethod,
    FineTuningJob,
    FineTuningJobCheckpoint,
    Hyperparameters,
    WandbIntegration,
)
from .._options import call_options
from .._pagination import AsyncPaginator
from .._types import NOT_GIVEN, NotGiven
from ..providers import ModelLimits, PriceEstimate
from ..providers._together import create_body, metrics_rows, price_body
from ._files import _save
from ._jobs import Jobs, _job_id

__all__ = ["TogetherJobs"]

CheckpointKind = Literal["merged", "adapter", "model_output_path"]


class TogetherJobs(Jobs):
    """``client.jobs`` of [`AsyncTogetherClient`][ftjobs.AsyncTogetherClient].

    ``create`` takes ftjobs' arguments where they mean the same thing on Together and
    Together's own as keywords; ``list`` is one page holding every job (newest first);
    ``metrics`` reads Together's metrics endpoint. ``pause``, ``resume`` and
    ``best_checkpoint`` raise [`UnsupportedOperationError`][ftjobs.UnsupportedOperationError].
    """

    __slots__ = ()

    async def create(
        self,
        *,
        model: str | None,
        training_file: str,
        validation_file: str | None = None,
        suffix: str | None = None,
        seed: int | None = None,
        metadata: Mapping[str, str] | None = None,
        integrations: Sequence[WandbIntegration | Mapping[str, Any]] | None = None,
        method: FineTuneMethod | Mapping[str, Any] | None = None,
        hyperparameters: Hyperparameters | Mapping[str, Any] | None = None,
        n_epochs: int | None = None,
        learning_rate: float | None = None,
        batch_size: int | Literal["max"] | None = None,
        n_checkpoints: int | None = None,
        n_evals: int | None = None,
        warmup_ratio: float | None = None,
        max_grad_norm: float | None = None,
        weight_decay: float | None = None,
        lr_scheduler: Literal["linear", "cosine"] | Mapping[str, Any] | None = None,
        lora: bool | None = None,
        lora_r: int | None = None,
        lora_alpha: int | None = None,
        lora_dropout: float | None = None,
        lora_trainable_modules: str | None = None,
        train_on_inputs: bool | Literal["auto"] | None = None,
        from_checkpoint: str | FineTuningJobCheckpoint | None = None,
        wandb_api_key: str | None = None,
        wandb_project_name: str | None = None,
        wandb_name: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> FineTuningJob:
        """Create a fine-tuning job on Together AI (``POST /fine-tunes``).

        ftjobs' arguments map where they mean the same: ``seed`` is ``random_seed``; a
        ``method`` (supervised or dpo) is ``training_method``, its ``n_epochs``,
        ``batch_size`` and ``beta`` the fields of those names; one W&B ``integrations`` entry
        is the ``wandb_*`` fields. ``metadata``, a reinforcement method and a learning-rate
        *multiplier* have no Together meaning and are refused. Any other Together field
        (``packing``, ``max_seq_length``, ``from_hf_model``, ``multimodal_params``...) goes
        in ``extra_body``.

        Args:
            n_epochs: Passes over the training file.
            learning_rate: The (absolute) learning rate.
            batch_size: Examples per step, or ``"max"`` (Together's default).
            n_checkpoints: Checkpoints saved during training.
            n_evals: Evaluations on the validation file during training.
            warmup_ratio: Share of steps (0..1) of learning-rate warmup.
            max_grad_norm: Gradient clipping (0 disables it).
            weight_decay: Weight decay.
            lr_scheduler: ``"linear"``, ``"cosine"`` or Together's scheduler object.
            lora: LoRA (True) or full (False) training; LoRA is implied by ``lora_r``.
            lora_r: LoRA rank (required for LoRA; ``model_limits(model)`` gives the largest).
            lora_alpha: LoRA alpha (default twice the rank, as Together's own SDK does).
            lora_dropout: LoRA dropout (0..1).
            lora_trainable_modules: LoRA target modules (``"all-linear"``).
            train_on_inputs: Train on the prompt too (supervised only; default ``"auto"``).
            from_checkpoint: Continue from ``{job_id}``, ``{job_id}:{step}`` or a checkpoint
                of ``list_checkpoints`` (with ``model=None``: the job starts from the
                checkpoint's base model, and Together refuses both).
            wandb_api_key: Weights & Biases key (with ``wandb_project_name``, ``wandb_name``).

        Raises:
            UnsupportedOperationError: ``metadata`` given (Together keeps none).
            TypeError, ValueError: Bad or untranslatable input, before any request.
        """
        options = call_options(extra_headers, extra_query, extra_body, timeout, idempotency_key)
        if metadata is not None:
            raise self._dialect.refuse("jobs.create(metadata=...)")
        body = create_body(
            model=model,
            training_file=training_file,
            validation_file=validation_file,
            suffix=suffix,
            seed=seed,
            integrations=integrations,
            method=method,
            hyperparameters=hyperparameters,
            n_epochs=n_epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            n_checkpoints=n_checkpoints,
            n_evals=n_evals,
            warmup_ratio=warmup_ratio,
            max_grad_norm=max_grad_norm,
            weight_decay=weight_decay,
            lr_scheduler=lr_scheduler,
            lora=lora,
            lora_r=lora_r,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            lora_trainable_modules=lora_trainable_modules,
            train_on_inputs=train_on_inputs,
            from_checkpoint=from_checkpoint,
            wandb_api_key=wandb_api_key,
            wandb_project_name=wandb_project_name,
            wandb_name=wandb_name,
        )
        return await self._decoded(
            FineTuningJob,
            self._send("POST", self._dialect.jobs_path, options, body=body),
            self._dialect.job,
        )

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        metadata: Mapping[str, str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> AsyncPaginator[FineTuningJob]:
        """Every job, newest first, in one page (Together's list has no cursor and no
        filter: ``limit`` is moot, ``after`` and ``metadata`` are refused)."""
        if metadata is not None:
            raise self._dialect.refuse("jobs.list(metadata=...)")
        return super().list(
            after=after,
            limit=limit,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def metrics(
        self,
        job_or_id: str | FineTuningJob,
        *,
        global_step_from: int | None = None,
        global_step_to: int | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> tuple[curve.StepMetrics, ...]:
        """The job's training curve from ``GET /fine-tunes/{id}/metrics``, one
        [StepMetrics][ftjobs.metrics.StepMetrics] per step (``train/loss`` is
        ``train_loss``, ``eval/loss`` ``valid_loss``), optionally between two steps."""
        options = call_options(timeout=timeout)
        body: dict[str, Any] = {}
        if global_step_from is not None:
            body["global_step_from"] = check.require_int("global_step_from", global_step_from, 0)
        if global_step_to is not None:
            body["global_step_to"] = check.require_int("global_step_to", global_step_to, 0)
        path = f"{self._dialect.jobs_path}/{_job_id(job_or_id)}/metrics"
        response = await self._send("GET", path, options, body=body or None)
        rows = metrics_rows(response.data)
        return tuple(structure(row, curve.StepMetrics) for row in rows)

    async def estimate_price(
        self,
        *,
        training_file: str,
        model: str | None = None,
        validation_file: str | None = None,
        n_epochs: int | None = None,
        n_evals: int | None = None,
        method: FineTuneMethod | Mapping[str, Any] | None = None,
        lora: bool | None = None,
        lora_r: int | None = None,
        lora_alpha: int | None = None,
        from_checkpoint: str | FineTuningJobCheckpoint | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> PriceEstimate:
        """What a job would cost, and whether the account may start it
        (``POST /fine-tunes/estimate-price``); the arguments mean what they mean to
        `create`."""
        options = call_options(extra_headers, extra_query, extra_body, timeout)
        body = price_body(
            training_file=training_file,
            model=model,
            validation_file=validation_file,
            n_epochs=n_epochs,
            n_evals=n_evals,
            method=method,
            lora=lora,
            lora_r=lora_r,
            lora_alpha=lora_alpha,
            from_checkpoint=from_checkpoint,
        )
        path = f"{self._dialect.jobs_path}/estimate-price"
        return await self._decoded(PriceEstimate, self._send("POST", path, options, body=body))

    async def delete(
        self,
        job_id: str | FineTuningJob,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> None:
        """Delete a job (``DELETE /fine-tunes/{id}``)."""
        options = call_options(extra_headers, extra_query, timeout=timeout)
        await self._send("DELETE", f"{self._dialect.jobs_path}/{_job_id(job_id)}", options)

    async def model_limits(
        self,
        model: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> ModelLimits:
        """What a job on ``model`` may use: epochs, learning rates, batch sizes, LoRA ranks
        (``GET /fine-tunes/models/limits``)."""
        options = call_options(extra_headers, extra_query, timeout=timeout)
        params = [("model_name", check.require_str("model", model))]
        path = f"{self._dialect.jobs_path}/models/limits"
        return await self._decoded(ModelLimits, self._send("GET", path, options, params=params))

    async def supported_models(
        self,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> tuple[str, ...]:
        """The base models Together fine-tunes (``GET /fine-tunes/models/supported``)."""
        options = call_options(extra_headers, extra_query, timeout=timeout)
        path = f"{self._dialect.jobs_path}/models/supported"
        response = await self._send("GET", path, options)
        data = response.data
        models = data.get("models") if isinstance(data, Mapping) else None
        return structure(models, tuple[str, ...], request_id=response.request_id)

    async def download(
        self,
        job_id: str | FineTuningJob,
        to: str | os.PathLike[str],
        *,
        checkpoint_step: int | None = None,
        checkpoint: CheckpointKind | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> int:
        """Download the fine-tuned model or one checkpoint to ``to``
        (``GET /finetune/download``), streamed, whole or not at all; returns the bytes
        written.

        Args:
            checkpoint_step: The step of an intermediate checkpoint (``checkpoint`` is then
                ignored by Together).
            checkpoint: ``"merged"`` (default when no step is given), ``"adapter"`` or
                ``"model_output_path"``.
        """
        options = call_options(extra_headers, extra_query, timeout=timeout)
        if not isinstance(to, (str, os.PathLike)):
            raise TypeError(f"to must be a path, got {type(to).__name__}")
        params = [("ft_id", _job_id(job_id))]
        if checkpoint_step is not None:
            params.append(
                ("checkpoint_step", str(check.require_int("checkpoint_step", checkpoint_step, 0)))
            )
        if checkpoint is not None:
            if checkpoint not in ("merged", "adapter", "model_output_path"):
                raise ValueError(
                    "checkpoint must be 'merged', 'adapter' or 'model_output_path', "
                    f"got {checkpoint!r}"
                )
            params.append(("checkpoint", checkpoint))
        elif checkpoint_step is None:
            params.append(("checkpoint", "merged"))  # required when no step is given
        chunks = self._stream("/finetune/download", options, params=params)
        return await _save(chunks, os.fspath(to))
