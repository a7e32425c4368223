"""Product-team events: flag triage decisions and corrective actions released against defects."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas.base import InboundBase, LongText, ShortText
from schemas.limits import MAX_SIGNATURES_PER_ACTION
from schemas.parts import BoundedDate, BoundedDatetime, ComponentCode, Contract, Identifier, Name

Decision = Literal["ack", "confirm", "dismiss"]
ChangeKind = Literal["design", "part", "supplier", "process", "service_procedure"]


class DefectSignature(Contract):
    """What a flag is about: a product (variant optional) and one of its components."""

    brand: Name
    model: Name
    variant: Name | None = Field(default=None, description="None: every variant of the model.")
    component: ComponentCode


class FlagTriaged(InboundBase):
    """A product team decided what a recurring-defect flag is.

    ``ack``: seen, under investigation; ``confirm``: a real defect, which stays open until a
    corrective action is verified; ``dismiss``: not a defect, which stays quiet unless its
    evidence grows substantially. Names the flag by ``flag_id``, or by ``signature`` for
    whatever flag that signature has (an issue tracker may know only the product).
    """

    event_type: Literal["flag.triaged"] = "flag.triaged"
    flag_id: Identifier | None = Field(default=None, description="The flag, as published.")
    signature: DefectSignature | None = Field(
        default=None, description="The flag's signature, when its id is not known."
    )
    decision: Decision
    note: ShortText | None = Field(default=None, description="Why, in the decider's words.")
    decided_by: Name = Field(description="Who decided: a person or a team.")
    decided_at: BoundedDatetime = Field(description="When the decision was taken.")

    @model_validator(mode="after")
    def _names_a_flag(self) -> FlagTriaged:
        if self.flag_id is None and self.signature is None:
            raise ValueError("flag.triaged needs flag_id or signature")
        return self


class EffectiveFrom(Contract):
    """Where a change takes effect: units built from a lot, a build date or a serial range on,
    and for field fixes the service campaign that applies it to units already out there."""

    lot: Identifier | None = Field(default=None, description="First production lot changed.")
    build_date: BoundedDate | None = Field(default=None, description="First build date changed.")
    serial_from: Identifier | None = Field(default=None, description="First serial changed.")
    serial_to: Identifier | None = Field(
        default=None, description="Last serial of the range (open-ended when absent)."
    )
    campaign_id: Identifier | None = Field(
        default=None, description="Service campaign that fixes units in the field."
    )

    @model_validator(mode="after")
    def _says_where(self) -> EffectiveFrom:
        if not any((self.lot, self.build_date, self.serial_from, self.campaign_id)):
            raise ValueError("effective_from needs lot, build_date, serial_from or campaign_id")
        if self.serial_to is not None and self.serial_from is None:
            raise ValueError("serial_to needs serial_from")
        return self


class CorrectiveActionReleased(InboundBase):
    """The maker changed the product or its service to remove a defect (a CAPA)."""

    event_type: Literal["corrective_action.released"] = "corrective_action.released"
    action_id: Identifier
    flag_id: Identifier | None = Field(
        default=None, description="The flag that prompted it, when known."
    )
    signatures: Annotated[
        list[DefectSignature], Field(min_length=1, max_length=MAX_SIGNATURES_PER_ACTION)
    ] = Field(description="The defect signatures it addresses.")
    change: ChangeKind = Field(description="What changed.")
    description: LongText
    effective_from: EffectiveFrom
    released_by: Name | None = None


PRODUCT_EVENTS = (FlagTriaged, CorrectiveActionReleased)
