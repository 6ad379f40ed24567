"""Checks before invoking: when provisioned concurrency or SnapStart hides cold starts."""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from coldstart.lambda_api.arn import FunctionRef
from coldstart.lambda_api.aws import short_error


def qualifier_of(function_arn: str) -> str | None:
    """Return the qualifier at the end of a qualified function ARN, else None."""
    parts = function_arn.split(":")
    return parts[7] if len(parts) >= 8 else None


def list_provisioned_concurrency(client: Any, function_name: str) -> list[dict[str, Any]]:
    """Return every provisioned concurrency configuration of the function (all pages)."""
    configs: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"FunctionName": function_name}
    while True:
        response = client.list_provisioned_concurrency_configs(**arguments)
        configs.extend(response.get("ProvisionedConcurrencyConfigs") or [])
        marker = response.get("NextMarker")
        if not marker:
            return configs
        arguments["Marker"] = marker


def provisioned_concurrency_warnings(
    configs: list[dict[str, Any]], qualifier: str | None
) -> list[str]:
    """Warn when the invoked qualifier, or an alias while $LATEST is invoked, is provisioned."""
    by_qualifier = {
        qualifier_of(config.get("FunctionArn", "")): config for config in configs
    }
    warnings = []
    if qualifier not in (None, "$LATEST") and qualifier in by_qualifier:
        config = by_qualifier[qualifier]
        count = config.get("AllocatedProvisionedConcurrentExecutions") or config.get(
            "RequestedProvisionedConcurrentExecutions"
        )
        warnings.append(
            f"{qualifier} has provisioned concurrency ({count} environments, status "
            f"{config.get('Status', 'unknown')}): invokes land in environments initialised "
            "in advance, so no ordinary cold starts are to be expected"
        )
    if qualifier in (None, "$LATEST"):
        aliases = sorted(name for name in by_qualifier if name and name != "$LATEST")
        if aliases:
            warnings.append(
                f"$LATEST is invoked while {', '.join(aliases)} "
                f"{'has' if len(aliases) == 1 else 'have'} provisioned concurrency: these "
                "cold starts are not what callers of "
                f"{'that alias' if len(aliases) == 1 else 'those aliases'} see"
            )
    return warnings


def snapstart_warning(configuration: dict[str, Any], qualifier: str | None) -> str | None:
    """Warn when SnapStart is on for the invoked version: restores replace cold inits."""
    snapstart = configuration.get("SnapStart") or {}
    if snapstart.get("OptimizationStatus") != "On":
        return None
    if qualifier in (None, "$LATEST") and configuration.get("Version") in (None, "$LATEST"):
        return None
    return (
        f"SnapStart is on for {qualifier}: new environments restore a snapshot, so the "
        "REPORT shows Restore Duration (restore_ms) instead of an ordinary Init Duration"
    )


def preflight_warnings(
    client: Any, ref: FunctionRef, configuration: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Return (warnings, notes). A failed optional check becomes a note, never an error."""
    warnings: list[str] = []
    notes: list[str] = []
    try:
        configs = list_provisioned_concurrency(client, ref.function_name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        notes.append(
            "provisioned concurrency not checked: ListProvisionedConcurrencyConfigs failed "
            f"({short_error(error)})"
        )
        configs = []
    warnings.extend(provisioned_concurrency_warnings(configs, ref.qualifier))
    snapstart = snapstart_warning(configuration, ref.qualifier)
    if snapstart:
        warnings.append(snapstart)
    return warnings, notes
