"""Parse the function name of a request path: a name, a partial or full ARN, a qualifier."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_ACCOUNT = "123456789012"
LATEST = "$LATEST"

# Lambda's pattern for FunctionName (NamespacedFunctionName in botocore's service model),
# anchored.
FUNCTION_NAME = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1}):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9\-_\.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?$"
)
QUALIFIER = re.compile(r"^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9\-_$]+)$")


class InvalidFunctionName(ValueError):
    """The FunctionName or Qualifier of a request does not match Lambda's pattern."""


@dataclass(frozen=True)
class FunctionReference:
    """A function as one request names it."""

    name: str
    qualifier: str | None
    region: str | None
    account: str | None

    def arn(self, region: str, account: str) -> str:
        """Return the ARN the caller used, with its qualifier."""
        base = f"arn:aws:lambda:{region}:{account}:function:{self.name}"
        return f"{base}:{self.qualifier}" if self.qualifier else base

    @property
    def executed_version(self) -> str:
        """Return the version an invoke runs: a numbered version, else $LATEST.

        NOTE: aliases are not modelled, so an alias runs $LATEST.
        """
        if self.qualifier and self.qualifier.isdigit():
            return self.qualifier
        return LATEST


def parse_function_name(text: str, qualifier: str | None = None) -> FunctionReference:
    """Parse a FunctionName path segment and the optional Qualifier query parameter.

    Raises InvalidFunctionName when either does not match Lambda's pattern, or when both
    name a qualifier and the two differ.
    """
    match = FUNCTION_NAME.match(text)
    if match is None or len(match["name"]) > 64:
        raise InvalidFunctionName(
            f"1 validation error detected: Value '{text}' at 'functionName' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: "
            f"{FUNCTION_NAME.pattern}"
        )
    if qualifier is not None and not QUALIFIER.match(qualifier):
        raise InvalidFunctionName(
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: "
            f"{QUALIFIER.pattern}"
        )
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise InvalidFunctionName(
            "The derived qualifier from the function name does not match the specified "
            "qualifier."
        )
    return FunctionReference(
        name=match["name"],
        qualifier=derived or qualifier,
        region=match["region"],
        account=match["account"],
    )
