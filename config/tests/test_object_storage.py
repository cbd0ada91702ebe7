"""Uploads go through Django's storage API: with AWS_STORAGE_BUCKET_NAME set they land in an S3-compatible
bucket that every instance shares (here moto's S3 server, in its own process on loopback), never on the
instance's disk; without it the embedded default keeps them in MEDIA_ROOT."""

import hashlib

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.models import Course
from marketplace.tests.factories import InstructorFactory

from .fresh_process import django_json

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _create_course_with_cover(client, cover: bytes) -> Course:
    instructor = InstructorFactory()
    client.force_login(instructor)
    response = client.post(
        reverse("marketplace:studio_course_new"),
        {
            "title": "Object storage for everyone",
            "level": "beginner",
            "language": "en",
            "currency": "usd",
            "price": "19.99",
            "cover_image": SimpleUploadedFile("cover.png", cover, content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Course.objects.get(instructor=instructor)


def _read_in_another_process(name: str, environment: dict[str, str]) -> dict:
    """A second "instance": a fresh interpreter configured only by the environment, as a pod would be."""
    return django_json(
        "{'backend': settings.STORAGES['default']['BACKEND'],"
        f" 'sha256': hashlib.sha256(default_storage.open({name!r}).read()).hexdigest()}}",
        environment,
        settings_module="config.settings.dev",
        imports="import hashlib; from django.core.files.storage import default_storage",
    )


@pytest.mark.django_db
def test_a_cover_uploaded_in_the_studio_lands_in_the_bucket_not_on_disk(client, s3_bucket_storage, settings, tmp_path):
    server, bucket = s3_bucket_storage
    settings.MEDIA_ROOT = str(tmp_path / "media")
    course = _create_course_with_cover(client, PNG)

    name = course.cover_image.name
    assert name.startswith("courses/covers/")
    stored = server.client().get_object(Bucket=bucket, Key=f"media/{name}")["Body"].read()
    assert stored == PNG
    assert not (tmp_path / "media").exists(), "an upload was written to the instance's disk"

    # The link is signed (the bucket is private), expires, and serves the bytes.
    url = course.cover_image.url
    assert url.startswith(f"{server.endpoint}/{bucket}/media/courses/covers/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.content == PNG
    unsigned = requests.get(url.split("?", 1)[0], timeout=10)
    assert unsigned.status_code == 403


@pytest.mark.django_db
def test_another_instance_reads_what_one_instance_uploaded(client, s3_bucket_storage):
    server, bucket = s3_bucket_storage
    course = _create_course_with_cover(client, PNG)

    seen = _read_in_another_process(course.cover_image.name, server.environment(bucket))
    assert seen == {"backend": "storages.backends.s3.S3Storage", "sha256": hashlib.sha256(PNG).hexdigest()}


def test_two_uploads_of_one_name_never_overwrite_each_other(s3_bucket_storage):
    server, bucket = s3_bucket_storage
    first = default_storage.save("courses/covers/cover.png", ContentFile(b"first"))
    second = default_storage.save("courses/covers/cover.png", ContentFile(b"second"))
    assert first != second
    assert default_storage.open(first).read() == b"first"
    assert default_storage.open(second).read() == b"second"
    keys = {item["Key"] for item in server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f"media/{first}", f"media/{second}"}
    default_storage.delete(first)
    assert not default_storage.exists(first) and default_storage.exists(second)


@pytest.mark.django_db
def test_without_a_bucket_uploads_stay_in_media_root(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    course = _create_course_with_cover(client, PNG)
    assert (tmp_path / "media" / course.cover_image.name).read_bytes() == PNG
