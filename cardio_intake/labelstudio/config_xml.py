"""The Label Studio labelling configuration that matches our tasks and imports."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from cardio_intake.labels import ENTITY_TYPES, INTENTS, PAGE_TYPES

# from_name/to_name used in tasks, pre-annotations and the importer: one source of truth.
IMAGE = "image"
ENTITY_LABELS = "entity"
TRANSCRIPTION = "transcription"
PAGE_TYPE = "page_type"
INTENTS_CHOICES = "intents"

_COLORS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
           "#008080", "#9a6324", "#800000", "#808000", "#000075", "#808080", "#ffe119", "#aaffc3")


def labelling_config() -> str:
    """RectangleLabels over the contract's entity types with a per-region TextArea for the
    transcription, page type as single Choices and intents as multiple Choices."""
    labels = "\n".join(
        f"    <Label value={quoteattr(t)} background={quoteattr(_COLORS[i % len(_COLORS)])}/>"
        for i, t in enumerate(ENTITY_TYPES)
    )
    page_types = "\n".join(f"    <Choice value={quoteattr(p)}/>" for p in PAGE_TYPES)
    intents = "\n".join(f"    <Choice value={quoteattr(i)}/>" for i in INTENTS)
    return f"""<View>
  <Image name="{IMAGE}" value="$image" zoom="true" zoomControl="true" rotateControl="false"/>
  <RectangleLabels name="{ENTITY_LABELS}" toName="{IMAGE}" canRotate="true">
{labels}
  </RectangleLabels>
  <TextArea name="{TRANSCRIPTION}" toName="{IMAGE}" editable="true" perRegion="true" required="false"
            maxSubmissions="1" rows="1" placeholder="Transcription"/>
  <Header value="Page type"/>
  <Choices name="{PAGE_TYPE}" toName="{IMAGE}" choice="single" showInLine="true">
{page_types}
  </Choices>
  <Header value="Referral intents (whole document)"/>
  <Choices name="{INTENTS_CHOICES}" toName="{IMAGE}" choice="multiple" showInLine="true">
{intents}
  </Choices>
</View>
"""
