"""POST /uploads: kinds read from content, documents to text, hostile files refused with nothing kept."""

import io
import math
import struct
import zipfile
import zlib

import numpy as np
import opentimelineio as otio
import pytest
import soundfile
from PIL import Image

from tests.server.conftest import serve
from tests.server.helpers import upload

STORY_ZH = "第一章 月亮\n阿青在山坡上看月亮。月亮对她笑了。"


@pytest.fixture(scope="module")
def client(tiny_weights, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("uploads"), llm_backend="none", i2v_backend="none") as client:
        yield client


def png_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds=0.5, rate=22050) -> bytes:
    buffer = io.BytesIO()
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(buffer, (0.3 * np.sin(2 * math.pi * 440 * t)).astype(np.float32), rate, format="WAV")
    return buffer.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def damaged_docx() -> bytes:
    """A .docx whose text part was overwritten on disk: its checksum no longer matches."""
    data = bytearray(docx_bytes(["x" * 500]))
    start = data.index(b"<w:body>")
    data[start : start + 40] = b"\xff" * 40
    return bytes(data)


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica, written object by object with a correct xref."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def text_of(client, url: str) -> str:
    return client.get(url).content.decode("utf-8")


def test_an_image_is_read_by_content_and_re_encoded(client):
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(jpeg, format="JPEG")
    answer = upload(client, jpeg.getvalue(), "holiday.png")  # the name lies; the content decides
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["kind"] == "image" and body["media_type"] == "image/png" and body["url"].endswith(".png")
    image = Image.open(io.BytesIO(client.get(body["url"]).content))
    assert image.format == "PNG" and image.size == (40, 30)


def test_audio_is_probed(client):
    body = upload(client, wav_bytes(), "take.txt").json()
    assert body["kind"] == "audio" and body["url"].endswith(".wav") and body["media_type"] == "audio/wav"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (STORY_ZH.encode("gb18030"), STORY_ZH),
        (STORY_ZH.encode("utf-16"), STORY_ZH),
        ("\ufeff# Title\n\nA fox saw the moon.".encode(), "# Title\n\nA fox saw the moon."),
        (docx_bytes(["第一段：狐狸。", "Second paragraph."]), "第一段：狐狸。\nSecond paragraph."),
        (pdf_bytes("The keeper lit the lamp."), "The keeper lit the lamp."),
    ],
    ids=["gb18030", "utf16", "markdown-utf8-bom", "docx", "pdf"],
)
def test_documents_become_their_text(client, data, expected):
    body = upload(client, data, "novel.txt").json()
    assert body["kind"] == "document" and body["url"].endswith(".txt"), body
    assert text_of(client, body["url"]) == expected


def test_timelines_are_sniffed_and_kept_as_otio(client):
    text = otio.adapters.write_to_string(otio.schema.Timeline(name="cut"), "otio_json")
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("version.txt", "1.0.0")
        archive.writestr("content.otio", text)
    for data in ("\ufeff".encode() + text.encode(), bundle.getvalue()):
        body = upload(client, data, "cut.bin").json()
        assert (body["kind"], body["media_type"]) == ("timeline", "application/json") and body["url"].endswith(".otio")
        assert otio.adapters.read_from_string(client.get(body["url"]).text, "otio_json").name == "cut"
    assert upload(client, b'{"name": "not a timeline"}', "x.json").json()["kind"] == "document"


def bomb() -> bytes:
    """A PNG that claims 100000 x 100000 pixels: refused before it is decoded."""
    header = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return header + chunk + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(200), 415),
        (b"PK\x03\x04" + bytes(100), 415),  # a zip that is no docx
        (png_bytes()[:60], 400),  # a truncated image
        (bomb(), 400),
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunk", 400),  # a WAV header and no sound
        (b"%PDF-1.4\nnot really", 400),
        (b"   \n\t  ", 415),  # text with nothing in it
        (damaged_docx(), 400),
    ],
    ids=["elf", "zip", "truncated-png", "png-bomb", "empty-wav", "broken-pdf", "blank-text", "broken-docx"],
)
def test_bad_files_are_refused_and_nothing_is_kept(client, data, status):
    before = sorted((client.app.state.settings.data_dir / "uploads").glob("*"))
    answer = upload(client, data)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == "file" and error["message"]
    assert sorted((client.app.state.settings.data_dir / "uploads").glob("*")) == before


def test_too_large_is_413(tiny_weights, tmp_path):
    with serve(tmp_path, llm_backend="none", i2v_backend="none", max_upload_bytes=4096) as small:
        for size in (5000, 100_000):  # inside the multipart allowance (the route refuses it), and beyond it
            answer = upload(small, png_bytes((400, 400), (1, 2, 3)) + bytes(size))
            assert answer.status_code == 413 and answer.json()["error"]["field"] == "file"
        boundary = "b0undary"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'.encode()
            + bytes(100_000)
            + f"\r\n--{boundary}--\r\n".encode()
        )
        chunked = small.post(  # no Content-Length: counted as it streams
            "/uploads",
            content=iter([body[i : i + 8192] for i in range(0, len(body), 8192)]),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert chunked.status_code == 413 and chunked.json()["error"]["field"] == "file"
        assert not list((tmp_path / "uploads").glob("up_*"))


def test_uploads_belong_to_their_key(tiny_weights, tmp_path):
    with serve(tmp_path, api_keys="k1,k2", llm_backend="none", i2v_backend="none") as keyed:
        url = upload(keyed, png_bytes(), **{"X-API-Key": "k1"}).json()["url"]
        assert keyed.get(url, headers={"X-API-Key": "k1"}).status_code == 200
        assert keyed.get(url, headers={"X-API-Key": "k2"}).status_code == 404
        clip = {"frames": [{"scene_id": "s1", "frame": url, "duration": 1, "motion": "static"}]}
        refused = keyed.post("/clips", json=clip, headers={"X-API-Key": "k2"})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "frames[0].frame"
        assert keyed.get("/readyz").status_code == 200  # orchestrators probe it without a key
