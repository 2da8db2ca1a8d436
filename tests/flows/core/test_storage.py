"""Uploaded photos on both stores — a directory and an S3-compatible object store (moto's
server, a local stand-in speaking S3 over HTTP) — through the one interface every caller uses;
and the same micro-wish journey with its proof photo in the bucket."""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from admin.api.client import Client
from admin.app import create_app
from flows.core import storage
from flows.core.storage import DirectoryStorage, ObjectStorage, StorageRefused
from flows.people import erasure
from schemas.settings import get_settings
from schemas.tables import ServiceRecord, User
from tests.admin.conftest import PASSWORD
from tests.world import build_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(scope="module")
def s3_server():
    """An S3 endpoint on a free port, for this module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, monkeypatch, request):
    """A fresh bucket on the stand-in; the SDK's credentials from its usual environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    name = f"yijia-{request.node.name[:30].replace('_', '-').lower()}"
    storage._client(s3_server, "us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["directory", "bucket"])
def store(request, tmp_path, s3_server):
    if request.param == "directory":
        return DirectoryStorage(tmp_path / "storage")
    return ObjectStorage(request.getfixturevalue("bucket"), "uploads/", s3_server, "us-east-1")


def test_a_photo_is_kept_read_and_removed(store):
    key = store.save(PNG)
    assert key.endswith(".png") and store.size(key) == len(PNG)
    found = store.open(key)
    assert (found.read_bytes() if hasattr(found, "read_bytes") else found.read()) == PNG
    other = store.save(JPG)
    assert other.endswith(".jpg") and other != key
    assert store.delete(key) is True and store.size(key) is None and store.open(key) is None
    assert store.delete(key) is False and store.size(other) == len(JPG)


def test_what_no_store_keeps_or_finds(store):
    for data, code in [(b"", "storage.empty"), (b"GIF89a" + b"\x00" * 20, "storage.type"),
                       (PNG + b"\x00" * 100, "storage.too_large")]:
        with pytest.raises(StorageRefused) as refused:
            store.save(data, max_bytes=100)
        assert refused.value.code == code
    for key in ["../../etc/passwd", "0" * 32 + ".png/../x", "a" * 32 + ".gif", "0" * 31 + ".png"]:
        assert store.size(key) is None and store.open(key) is None and store.delete(key) is False
    assert store.size("0" * 32 + ".png") is None  # well formed, never stored


def test_a_bucket_that_refuses_is_a_plain_refusal(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    with pytest.raises(StorageRefused) as refused:
        ObjectStorage("no-such-bucket", "", s3_server, "us-east-1").save(PNG)
    assert refused.value.code == "storage.disk"


def test_the_settings_choose_the_store(monkeypatch, tmp_path, s3_server):
    monkeypatch.setenv("YIJIA_STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert isinstance(storage.configured(), DirectoryStorage)
    monkeypatch.setenv("YIJIA_STORAGE_S3_BUCKET", "photos")
    monkeypatch.setenv("YIJIA_STORAGE_S3_ENDPOINT_URL", s3_server)
    get_settings.cache_clear()
    chosen = storage.configured()
    assert isinstance(chosen, ObjectStorage) and chosen.bucket == "photos"
    assert isinstance(storage.configured(tmp_path), DirectoryStorage)  # an app's own directory wins


def test_the_journey_keeps_its_proof_photo_in_the_bucket(db_url, bucket, s3_server, monkeypatch, factory):
    """A member serves with a photo over the API; the photo is in the bucket, the web's proof
    page serves it to the requester, and erasing the member removes it."""
    monkeypatch.setenv("YIJIA_STORAGE_S3_BUCKET", bucket)
    monkeypatch.setenv("YIJIA_STORAGE_S3_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("YIJIA_STORAGE_S3_REGION", "us-east-1")
    get_settings.cache_clear()
    build_world(factory)
    with factory() as s, s.begin():
        s.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SERVER_NAME": "yijia.test", "WTF_CSRF_ENABLED": False})

    def client(username):
        made = Client("http://yijia.test", transport=httpx.WSGITransport(app=app))
        made.login(username, PASSWORD)
        return made

    resident, admin, member = client("res_a"), client("cadm_a"), client("mem1")
    wish = {s["code"]: s for s in resident.startables()}["micro_wish"]
    demand_id = resident.start(wish["task_type_id"], {"title": "换灯泡"})["demand_id"]
    admin.step(demand_id, "publish")
    member.step(demand_id, "claim")
    photo = member.upload(PNG, "proof.png", "image/png")
    member.step(demand_id, "serve", {"hours": 1, "note": "好了", "photo": photo})
    listed = storage._client(s3_server, "us-east-1").list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed.get("Contents", [])] == [f"{photo[:2]}/{photo}"]
    with factory() as s:
        assert s.scalar(select(ServiceRecord.proof).where(ServiceRecord.demand_id == demand_id)) == photo

    web = app.test_client()
    assert web.post("/login", data={"username": "res_a", "password": PASSWORD}).status_code == 302
    shown = web.get(f"/files/{photo}")
    assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    stranger = app.test_client()
    assert stranger.post("/login", data={"username": "res_b", "password": PASSWORD}).status_code == 302
    assert stranger.get(f"/files/{photo}").status_code == 404  # not their community's demand

    with factory() as s:
        counts = erasure.erase(s, "mem1", storage.configured())
    assert counts["photos"] == 1
    assert storage._client(s3_server, "us-east-1").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    app.extensions["yijia.engine"].dispose()


def test_erasure_keeps_a_photo_something_else_names_and_records_what_it_could_not_remove(factory, tmp_path):
    """An app may send any stored key as its proof: erasing that member must not delete a news
    cover (or another member's photo). A store that fails leaves the keys in the audit log,
    since the records no longer name them."""
    from schemas.tables import AuditLog, NewsPost
    from tests.flows.walker import Walker

    world = build_world(factory)
    store = DirectoryStorage(tmp_path / "storage")
    own, cover = store.save(PNG), store.save(JPG)
    for key in (own, cover):
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": f"照片 {key[:4]}"})
        walk.act("cadm_a", "publish")
        walk.act("mem1", "claim")
        walk.act("mem1", "serve", {"hours": 1, "note": "好了", "photo": key})
    with factory() as s, s.begin():
        s.add(NewsPost(region_id=world["ca"], title="封面", body="x", cover=cover))
    with factory() as s:
        counts = erasure.erase(s, "mem1", store)
    assert (counts["photos"], counts["photos_kept"], counts["photos_failed"]) == (1, 1, 0)
    assert store.size(own) is None and store.size(cover) == len(JPG)

    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "断网"})
    walk.act("cadm_a", "publish")
    walk.act("mem2", "claim")
    lost = store.save(PNG)
    walk.act("mem2", "serve", {"hours": 1, "note": "好了", "photo": lost})
    down = ObjectStorage("photos", "", "http://127.0.0.1:9", "us-east-1")  # nothing listens there
    with factory() as s:
        counts = erasure.erase(s, "mem2", down)
        assert counts["photos_failed"] == 1
        logged = s.scalar(select(AuditLog).where(AuditLog.action == "erase_photos_failed"))
        assert logged.after == {"keys": [lost]} and logged.row_id == str(world["mem2"])
