"""Text out of a document a person uploads: plain text or Markdown (UTF-8, UTF-16 or GB18030, the
encoding of many Chinese novels), Word .docx, or PDF. Each reader caps what it will expand, so a
small hostile file cannot become gigabytes of text."""

import io
import re
import zipfile
from xml.etree import ElementTree

from pypdf import PdfReader

from pipelines.text import clean

MAX_TEXT_CHARS = 2_000_000  # a long novel; a project's story takes what the storyboard accepts
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
MAX_PDF_PAGES = 2000
WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotADocument(ValueError):
    """The bytes are no document we read (the caller answers 415 or 400)."""


def decode_text(data: bytes) -> str | None:
    """Plain text in UTF-8 (BOM or not), UTF-16 (with BOM) or GB18030; None when it is not text."""
    candidates = ["utf-16"] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ["utf-8-sig", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text and len(CONTROL.findall(text)) <= len(text) // 1000:  # binary decodes to control characters
            return text
    return None


def docx_text(data: bytes) -> str:
    """Paragraphs of a .docx body, in order (tables' cells too, as their own paragraphs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise NotADocument("the document's text part is too large")
            xml = archive.read(info)
        root = ElementTree.fromstring(xml)
    except NotADocument:
        raise
    except Exception as error:  # a hostile or damaged archive fails in many ways (zlib, zipfile, expat)
        raise NotADocument(f"the .docx cannot be read ({type(error).__name__})") from None
    paragraphs = []
    for paragraph in root.iter(f"{WORD}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{WORD}t" and node.text:
                pieces.append(node.text)
            elif node.tag == f"{WORD}tab":
                pieces.append("\t")
            elif node.tag in (f"{WORD}br", f"{WORD}cr"):
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


def pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NotADocument("the PDF is encrypted")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise NotADocument(f"the PDF has more than {MAX_PDF_PAGES} pages")
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            if sum(map(len, pages)) > MAX_TEXT_CHARS:
                break
        return "\n\n".join(pages)
    except NotADocument:
        raise
    except Exception as error:  # pypdf fails on hostile files in many ways
        raise NotADocument(f"the PDF cannot be read ({type(error).__name__})") from None


def document_text(data: bytes, kind: str) -> str:
    """kind: 'text', 'docx' or 'pdf'. The text, cleaned of control characters; never empty."""
    if kind == "docx":
        text = docx_text(data)
    elif kind == "pdf":
        text = pdf_text(data)
    else:
        decoded = decode_text(data)
        if decoded is None:
            raise NotADocument("the file is not text in UTF-8, UTF-16 or GB18030")
        text = decoded
    text = clean(CONTROL.sub("", text))[:MAX_TEXT_CHARS]
    if not any(ch.isalnum() for ch in text):
        raise NotADocument("the document holds no text")
    return text
