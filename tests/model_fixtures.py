"""A tiny synthetic labelled corpus (labels.jsonl only, no rendered files) for fast training tests
that must not depend on the fax renderer: a referral page with a patient block at a fixed place,
a fax cover, and multi-patient packets."""

from __future__ import annotations

import random
from pathlib import Path

from cardio_intake.corpus.gold import GoldEntity, GoldPacket, GoldPage, GoldReferral, GoldWord
from cardio_intake.schemas import Fields

FIRST = ["Maria", "John", "Alan", "Grace", "Wei", "Fatima", "Luis", "Ruth"]
LAST = ["Gonzalez", "Smith", "Whitfield", "Okafor", "Chen", "Haddad", "Moreno", "Klein"]
PAYERS = [["Aetna"], ["Humana", "Gold"], ["Cigna"], ["UnitedHealthcare"]]
INTENT_WORDS = {"echo_tte": ["echocardiogram", "93306"], "consult": ["cardiology", "consult", "99204"],
                "rhythm_monitor": ["holter", "monitor", "93224"]}


def _page(number: int, ptype: str, lines: list[list[tuple[str, str]]]) -> GoldPage:
    words = []
    for li, line in enumerate(lines):
        x = 60
        for text, tag in line:
            w = 12 * len(text) + 10
            words.append(GoldWord(text=text, box_px=(x, 80 + 40 * li, x + w, 100 + 40 * li),
                                  box_1000=(x // 2, (80 + 40 * li) // 2, (x + w) // 2, (100 + 40 * li) // 2), tag=tag))
            x += w + 12
    return GoldPage(page=number, type=ptype, width=2000, height=2000, dpi=200, words=words)  # type: ignore[arg-type]


def _tagged(words: list[str], etype: str) -> list[tuple[str, str]]:
    return [(w, ("B-" if i == 0 else "I-") + etype) for i, w in enumerate(words)]


def synthetic_packet(i: int, rng: random.Random, split: str) -> GoldPacket:
    pages: list[GoldPage] = [_page(1, "fax_cover", [[("FAX", "O"), ("cover", "O")], [("pages:", "O"), ("3", "O")]])]
    referrals = []
    n_patients = 2 if i % 4 == 3 else 1
    for _ in range(n_patients):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        mm, dd, yy = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1930, 1990)
        dob = f"{mm:02d}/{dd:02d}/{yy}"
        payer = rng.choice(PAYERS)
        member = f"W{rng.randint(10**8, 10**9 - 1)}"
        intent = rng.choice(sorted(INTENT_WORDS))
        lines = [
            [("Patient:", "O"), *_tagged([first, last], "PATIENT_NAME")],
            [("DOB:", "O"), *_tagged([dob], "PATIENT_DOB")],
            [("Insurance:", "O"), *_tagged(payer, "PAYER")],
            [("Member", "O"), ("ID:", "O"), *_tagged([member], "MEMBER_ID")],
            [("Order:", "O"), *_tagged(INTENT_WORDS[intent][:-1], "PROCEDURE"), *_tagged(INTENT_WORDS[intent][-1:], "CPT")],
        ]
        pages.append(_page(len(pages) + 1, "referral_order", lines))
        pages.append(_page(len(pages) + 1, "clinical_note", [[("History", "O"), ("of", "O"), ("palpitations", "O")]]))
        fields = Fields(patient_name=f"{first} {last}", patient_dob=f"{yy}-{mm:02d}-{dd:02d}",  # type: ignore[arg-type]
                        payer=" ".join(payer), member_id=member)
        referrals.append(GoldReferral(pages=[p.page for p in pages[-2:]], intents=[intent], fields=fields,  # type: ignore[list-item]
                                      entities=[GoldEntity(type="MEMBER_ID", text=member, page=pages[-2].page, bbox=(0, 0, 1, 1))]))
    referrals[0].pages.insert(0, 1)  # the fax cover goes with the first referral
    return GoldPacket(doc_id=f"syn-{i:04d}", file=f"files/syn-{i:04d}.pdf", format="pdf_text", resolution="digital",
                      family=f"fam{i % 3}", split=split, pages=pages, referrals=referrals)  # type: ignore[arg-type]


def write_synthetic_corpus(out: Path, n: int = 12, seed: int = 0) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    splits = ["train"] * (n - 4) + ["validation"] * 2 + ["test"] * 2
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for i, split in enumerate(splits):
            fh.write(synthetic_packet(i, rng, split).model_dump_json() + "\n")
    return out
