"""Real .docx and .pptx files built with python-docx and python-pptx, for the loader and end-to-end tests.

Each holds one fact found nowhere else: the Word file's only in a table row, the deck's only in a
slide's speaker notes, so a right answer must come from there and cite that place."""

from __future__ import annotations

from pathlib import Path

# Answers that only the table (Word) or the notes (PowerPoint) hold.
TABLE_FACT = "48 500 EUR"
NOTES_FACT = "nine months"


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("Cluster Strategy 2030", style="Title")
    d.add_paragraph("This strategy was adopted by the general assembly of the cluster members.")
    d.add_heading("Strategy", 1)
    d.add_paragraph("The cluster concentrates on smart manufacturing and on exports to the Nordic countries.")
    d.add_paragraph("Run two joint research projects a year", style="List Bullet")
    d.add_paragraph("Open a shared test laboratory for members", style="List Bullet")
    d.add_heading("Funding", 2)
    d.add_paragraph("The budget of the strategy comes from three sources.")
    table = d.add_table(rows=4, cols=3)
    rows = [("Funding source", "Annual amount", "Used for"),
            ("Interreg Baltic Sea Region", TABLE_FACT, "trade missions to Finland and Sweden"),
            ("Membership fees", "21 000 EUR", "the cluster secretariat"),
            ("National cluster programme", "60 000 EUR", "the shared test laboratory")]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.add_paragraph("The board reviews the budget every spring.")
    d.add_heading("Members", 1)
    d.add_paragraph("Sixty companies and four universities are members of the cluster.")
    d.save(str(path))
    return path


def make_pptx(path: Path, slides: bool = True) -> Path:
    """A training deck: a title slide, three content slides (bullets, notes, a table) and a closing slide."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    deck.core_properties.title = "Member onboarding training"
    if not slides:
        deck.save(str(path))
        return path
    s = deck.slides.add_slide(deck.slide_layouts[0])
    s.shapes.title.text = "Member onboarding training"
    s.placeholders[1].text = "For cluster coordinators"
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "Welcome pack"
    s.placeholders[1].text_frame.text = "Membership certificate and logo for the website"
    s.placeholders[1].text_frame.add_paragraph().text = "Access to the members' intranet"
    s.notes_slide.notes_text_frame.text = "Hand the welcome pack over at the first meeting in person."
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "Mentoring"
    s.placeholders[1].text_frame.text = "Every new member gets a mentor company"
    s.placeholders[1].text_frame.add_paragraph().text = "Mentors are experienced member companies"
    s.notes_slide.notes_text_frame.text = (f"Each new member is paired with its mentor company for the first "
                                           f"{NOTES_FACT} of its membership.")
    s = deck.slides.add_slide(deck.slide_layouts[5])
    s.shapes.title.text = "Onboarding calendar"
    shape = s.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2))
    for r, row in enumerate([("Week", "Step"), ("1", "Welcome meeting"), ("4", "First working group")]):
        for c, text in enumerate(row):
            shape.table.cell(r, c).text = text
    s = deck.slides.add_slide(deck.slide_layouts[5])
    s.shapes.title.text = "Questions?"
    deck.save(str(path))
    return path
