"""Parse what `--arn` accepts: a function name, a partial or full ARN, with a qualifier.

The forms follow the FunctionName parameter of the Lambda API:

    my-function                                              name
    my-function:prod                                         name with a qualifier
    123456789012:function:my-function                        partial ARN
    arn:aws:lambda:us-east-1:123456789012:function:my-function[:QUALIFIER]

A qualifier is `$LATEST`, a version number or an alias name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coldstart.errors import UsageError

NAME = r"[A-Za-z0-9_-]{1,64}"
QUALIFIER = r"\$LATEST|[0-9]+|[A-Za-z0-9_-]{1,128}"
ACCOUNT = r"[0-9]{12}"
REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]+"
PARTITION = r"aws(?:-[a-z]+)*"

FULL_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):lambda:(?P<region>{REGION}):(?P<account>{ACCOUNT})"
    rf":function:(?P<name>{NAME})(?::(?P<qualifier>{QUALIFIER}))?"
)
PARTIAL_ARN = re.compile(
    rf"(?P<account>{ACCOUNT}):function:(?P<name>{NAME})(?::(?P<qualifier>{QUALIFIER}))?"
)
BARE_NAME = re.compile(rf"(?P<name>{NAME})(?::(?P<qualifier>{QUALIFIER}))?")

EXPECTED_FORMS = (
    "a function name (my-function), a partial ARN (123456789012:function:my-function) "
    "or a full ARN (arn:aws:lambda:us-east-1:123456789012:function:my-function), "
    "each optionally ending in :VERSION or :ALIAS"
)


@dataclass(frozen=True)
class FunctionRef:
    """A Lambda function as named on the command line, with the parts its ARN gives."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None
    partition: str = "aws"

    @property
    def function_name(self) -> str:
        """The unqualified FunctionName to send: the full ARN when the account is known."""
        if self.account and self.region:
            return (
                f"arn:{self.partition}:lambda:{self.region}:{self.account}"
                f":function:{self.name}"
            )
        if self.account:
            return f"{self.account}:function:{self.name}"
        return self.name

    @property
    def label(self) -> str:
        return f"{self.name}:{self.qualifier}" if self.qualifier else self.name

    def with_qualifier(self, qualifier: str | None) -> FunctionRef:
        return FunctionRef(self.name, qualifier, self.region, self.account, self.partition)


def parse_function_ref(text: str, qualifier: str | None = None) -> FunctionRef:
    """Parse `--arn` and merge `--qualifier`. Raises UsageError on an invalid value."""
    value = text.strip()
    for pattern in (FULL_ARN, PARTIAL_ARN, BARE_NAME):
        match = pattern.fullmatch(value)
        if match is not None:
            break
    else:
        raise UsageError(f"invalid --arn {text!r}: expected {EXPECTED_FORMS}")
    parts = match.groupdict()
    embedded = parts.get("qualifier")
    if qualifier is not None and not re.fullmatch(QUALIFIER, qualifier):
        raise UsageError(
            f"invalid --qualifier {qualifier!r}: expected $LATEST, a version number "
            "or an alias name"
        )
    if qualifier is not None and embedded is not None and qualifier != embedded:
        raise UsageError(
            f"--qualifier {qualifier} conflicts with the qualifier {embedded} in --arn "
            f"{text}: give only one"
        )
    return FunctionRef(
        name=parts["name"],
        qualifier=qualifier or embedded,
        region=parts.get("region"),
        account=parts.get("account"),
        partition=parts.get("partition") or "aws",
    )


def region_of(ref: FunctionRef, region: str | None, option: str) -> str | None:
    """Return the region to call: `--region`, else the one in the ARN given as option.

    Raises UsageError when both are given and differ, because a call to one region for a
    function that lives in another fails or reaches another function of the same name.
    """
    if region and ref.region and region != ref.region:
        raise UsageError(
            f"--region {region} conflicts with the region {ref.region} in {option}: "
            "give only one, or the same region in both"
        )
    return region or ref.region
