"""Remote stores for real, on loopback: HTTP with ranges, and S3 (moto).

The HTTP server counts the requests and bytes it serves, so the bounded
read of a remote model is asserted from what really crossed the wire.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import keras_rescaling_patch
from keras_rescaling_patch.cli.main import main
from keras_rescaling_patch.files import api
from keras_rescaling_patch.files.jobs.scan_file import scan_remote
from keras_rescaling_patch.files.options import Limits
from keras_rescaling_patch.files.stores import ranged
from keras_rescaling_patch.files.stores.fsspec_store import FsspecStore
from keras_rescaling_patch.files.stores.location import Url
from support.servers import RangeServer, azurite, moto_server
from support.synthetic import synthetic_archive
from tests.conftest import AffectedModel, heavy_h5
from tests.subprocesses import Venv, cli_in_bare_interpreter, environment

pytestmark = pytest.mark.slow  # servers, and a 200 MiB model

BIG = 200 << 20


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    folder = tmp_path_factory.mktemp("served")
    synthetic_archive(folder / "big.keras", BIG)
    server = RangeServer(folder)
    yield server
    server.close()


def scan(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["scan", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def config_size(served: RangeServer) -> int:
    with zipfile.ZipFile(served._server.folder / "big.keras") as archive:
        return archive.getinfo("config.json").file_size


def test_a_200_mib_model_over_https_costs_three_requests_and_its_config(
    served: RangeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    served.reset_counts()
    code, out, err = scan(capsys, f"{served.url}/big.keras", "--format", "json")
    assert (code, err) == (1, "")
    [report] = json.loads(out)["files"]
    assert [f["key"] for f in report["affected"]] == ["config.scale"]
    assert len(served.requests) <= 3, served.requests
    assert served.bytes_sent <= 256 * 1024 + config_size(served)
    assert report["bytes_read"] == served.bytes_sent
    assert report["requests"] == len(served.requests)


def test_a_server_that_does_not_answer_is_given_up_on(
    served: RangeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = served.behave("silent.keras", "silent")
    trickle = served.behave("trickle.keras", "trickle")
    (served._server.folder / "trickle.keras").write_bytes(b"x" * 300_000)
    started = time.monotonic()
    code, out, err = scan(capsys, silent, trickle, "--timeout", "1", "--jobs", "2")
    assert time.monotonic() - started < 10
    assert code == 2
    lines = err.splitlines()
    assert (
        f"scan: {silent}: cannot read it (the server did not answer in time)" in lines
    )
    assert any(line.startswith(f"scan: {trickle}: ") for line in lines)
    assert "2 error(s)" in out


def test_a_server_that_ignores_ranges_is_not_downloaded(
    served: RangeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (served._server.folder / "no-ranges.keras").symlink_to("big.keras")
    url = served.behave("no-ranges.keras", "ignore-ranges")
    served.reset_counts()
    code, _, err = scan(capsys, url)
    assert code == 2
    assert "the server ignores byte ranges" in err and len(err.splitlines()) == 1
    assert served.bytes_sent < 16 << 20  # what the socket buffers took, at most


def test_denied_missing_and_redirected_files(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = RangeServer(tmp_path)  # another host:port
    try:
        synthetic_archive(tmp_path / "moved.keras", 1 << 20)
        moved = served.behave("moved.keras", "redirect", f"{other.url}/moved.keras")
        loop = served.behave("loop.keras", "redirect", f"{served.url}/loop.keras")
        denied = served.behave("denied.keras", "forbidden")
        missing = f"{served.url}/missing.keras"
        served.reset_counts()
        code, out, err = scan(capsys, moved, loop, denied, missing)
    finally:
        other.close()
    assert code == 2
    assert (
        f"{moved}: 1 serialized array(s) stock Keras cannot restore (on 3.4.1)" in out
    )
    # Redirected once: the HEAD stays a HEAD, later reads go straight there.
    asked_first = [r for r in served.requests if r[1] == "/moved.keras"]
    assert [method for method, _, _ in asked_first] == ["HEAD"]
    methods = [method for method, _, _ in other.requests]
    assert methods[0] == "HEAD" and methods.count("HEAD") == 1, methods
    lines = err.splitlines()
    assert (
        f"scan: {denied}: cannot read it (the server answered 403 Forbidden)" in lines
    )
    assert (
        f"scan: {missing}: cannot read it (the server answered 404 Not Found)" in lines
    )
    assert any(line.startswith(f"scan: {loop}: ") for line in lines)
    assert len(lines) == 3


def test_a_legacy_h5_model_is_read_from_its_start_not_downloaded(
    served: RangeServer, capsys: pytest.CaptureFixture[str], shim_restored: None
) -> None:
    keras_rescaling_patch.apply()
    path = heavy_h5(served._server.folder / "heavy.h5")
    served.reset_counts()
    code, out, _ = scan(capsys, f"{served.url}/heavy.h5", "--format", "json")
    [report] = json.loads(out)["files"]
    # Its Rescaling's array, and (no metadata.json: every release judged)
    # the DTypePolicy objects 3.0.0-3.0.4 cannot read.
    arrays = [finding for finding in report["affected"] if "marker" in finding]
    assert (code, report["format"], len(arrays)) == (1, "hdf5", 1)
    assert served.bytes_sent < 512 << 10 < path.stat().st_size
    assert report["bytes_read"] == served.bytes_sent


def test_a_directory_that_lies_is_refused_without_reading_what_it_claims(
    served: RangeServer,
    affected_model: AffectedModel,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = bytearray(affected_model.path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")
    while data[directory + 46 : directory + 46 + 11] != b"config.json":
        directory = data.rfind(b"PK\x01\x02", 0, directory)
    data[directory + 20 : directory + 24] = (150 << 20).to_bytes(4, "little")
    (served._server.folder / "lying.keras").write_bytes(bytes(data))
    served.reset_counts()
    code, _, err = scan(capsys, f"{served.url}/lying.keras")
    assert code == 2 and "claims 157286400 compressed bytes" in err
    assert served.bytes_sent <= ranged.TAIL_BYTES


@pytest.fixture(scope="module")
def s3(served: RangeServer, affected_model: AffectedModel) -> Iterator[str]:
    """A bucket "models" on moto's S3 server; yields its URL."""
    with moto_server() as url:
        saved = {key: os.environ.get(key) for key in ENVIRONMENT}
        os.environ.update(ENVIRONMENT, AWS_ENDPOINT_URL=url)
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem()
        fs.mkdir("models")
        fs.put_file(str(served._server.folder / "big.keras"), "models/prod/big.keras")
        fs.put_file(str(affected_model.path), "models/prod/team/a.keras")
        fs.pipe_file("models/prod/README.md", b"# models")
        fs.pipe_file(
            "models/dev/clean.json", b'{"class_name": "Functional", "config": {}}'
        )
        try:
            yield "s3://models"
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def test_a_bucket_prefix_and_a_pattern(
    s3: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = scan(capsys, f"{s3}/prod/", f"{s3}/**/*.json", "--format", "jsonl")
    assert code == 1
    reports = [json.loads(line) for line in out.splitlines()]
    assert sorted((r["file"], r["status"]) for r in reports) == [
        (f"{s3}/dev/clean.json", "clean"),
        (f"{s3}/prod/big.keras", "affected"),
        (f"{s3}/prod/team/a.keras", "affected"),
    ]
    big = next(r for r in reports if r["file"].endswith("big.keras"))
    assert big["requests"] <= 3 and big["bytes_read"] <= 256 * 1024 + 1024


def test_missing_objects_and_buckets_are_reported(s3: str) -> None:
    reports = list(api.scan_many([f"{s3}/nothing/", "s3://no-such-bucket/a.keras"]))
    assert [(r.file, r.error) for r in reports] == [
        (f"{s3}/nothing/", "no such file or prefix"),
        ("s3://no-such-bucket/a.keras", "no such file or prefix"),
    ]
    import s3fs

    s3fs.S3FileSystem().pipe_file("models/tmp/gone.keras", b"soon gone")
    s3fs.S3FileSystem().rm("models/tmp/gone.keras")
    # Deleted between the listing (which gave its size) and the read:
    gone = scan_remote(Url(f"{s3}/tmp/gone.keras", "s3"), Limits(), size=9)
    assert gone.error == "no longer exists (deleted while it was read)"


def test_repair_from_and_to_a_bucket_never_clobbers(
    s3: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = f"{s3}/prod/team/a.keras", f"{s3}/fixed/a.keras"
    assert main(["repair", source, "-o", target]) == 0
    assert capsys.readouterr().out.startswith(f"repaired {source} -> {target}: 2 ")
    assert api.scan(target).status == "clean"
    assert main(["repair", source, "-o", target]) == 2
    assert capsys.readouterr().err == (
        f"repair: {target} exists; pass --force to overwrite it; nothing written\n"
    )
    # Created by someone else after the check: S3's If-None-Match refuses.
    monkeypatch.setattr(FsspecStore, "exists", lambda self, url: False)
    assert main(["repair", source, "-o", target]) == 2
    assert "appeared while repairing" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["repair", source, "-o", target, "--force"]) == 0
    capsys.readouterr()
    assert main(["repair", source, "--in-place"]) == 2
    assert "--in-place works on local files only" in capsys.readouterr().err
    assert api.scan(source).status == "affected"  # never touched


def test_repair_from_https_to_a_local_file(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (served._server.folder / "small.keras").write_bytes(
        synthetic_archive(tmp_path / "small.keras", 4096).read_bytes()
    )
    out = tmp_path / "fixed.keras"
    assert main(["repair", f"{served.url}/small.keras", "-o", str(out)]) == 0
    assert api.scan(out).status == "clean"
    assert main(["repair", str(out), "-o", f"{served.url}/up.keras"]) == 2
    assert "cannot write to http:// URLs" in capsys.readouterr().err


def test_a_remote_repair_gives_up_on_a_server_that_trickles(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A byte every 5 ms never trips a one-second read timeout, and would
    deliver this small model in half a minute; the pace bound (64 KiB per
    time limit) gives up after about a second."""
    model = synthetic_archive(tmp_path / "slow.keras", 4096)
    (served._server.folder / "slow.keras").write_bytes(model.read_bytes())
    model.unlink()
    url = served.behave("slow.keras", "drip")
    served._server.stall_seconds = 1.0  # a byte each 5 ms
    try:
        started = time.monotonic()
        code = main(
            ["repair", url, "-o", str(tmp_path / "out.keras"), "--timeout", "1"]
        )
        took = time.monotonic() - started
    finally:
        served._server.stall_seconds = 30.0
    err = capsys.readouterr().err
    assert code == 2 and took < 10, (code, took)
    assert err == (
        f"repair: {url}: cannot read it (the server sent less than 64 KiB in 1 s); "
        "nothing written\n"
    )
    assert not (tmp_path / "out.keras").exists()


def test_a_server_that_sends_its_headers_a_byte_at_a_time_is_given_up_on(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each header byte arrives well within a socket timeout, so only a
    limit on the request as a whole ends it: in about the time limit, for
    `repair` (which has no per-file deadline) and `scan` alike."""
    url = served.behave("slow-headers.keras", "slow-headers")
    started = time.monotonic()
    code = main(["repair", url, "-o", str(tmp_path / "out.keras"), "--timeout", "1"])
    took = time.monotonic() - started
    assert (code, capsys.readouterr().err) == (
        2,
        f"repair: {url}: cannot read it (the server did not answer in time); "
        "nothing written\n",
    )
    assert took < 4, took  # a HEAD, then a ranged GET (the size), a second each
    assert list(tmp_path.iterdir()) == []
    started = time.monotonic()
    code, _, err = scan(capsys, url, "--timeout", "1")
    assert time.monotonic() - started < 4  # the per-file deadline is 4 s
    assert (code, err) == (
        2,
        f"scan: {url}: cannot read it (the server did not answer in time)\n",
    )


def test_a_download_the_server_cuts_short_is_not_taken_for_the_file(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = synthetic_archive(tmp_path / "cut.keras", 1 << 20)
    size = model.stat().st_size
    (served._server.folder / "cut.keras").write_bytes(model.read_bytes())
    model.unlink()
    url = served.behave("cut.keras", "cut-short")
    served.reset_counts()
    assert main(["repair", url, "-o", str(tmp_path / "out.keras")]) == 2
    sent = served.bytes_sent
    assert size // 2 <= sent < size
    assert capsys.readouterr().err == (
        f"repair: {url}: cannot read it (the transfer stopped after {sent} of "
        f"{size} bytes); nothing written\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_existing_local_output_is_refused_before_the_download(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "fixed.keras"
    existing.write_bytes(b"someone's file")
    served.reset_counts()
    assert main(["repair", f"{served.url}/big.keras", "-o", str(existing)]) == 2
    assert capsys.readouterr().err == (
        f"repair: {existing} exists; pass --force to overwrite it; nothing written\n"
    )
    assert (served.requests, served.bytes_sent) == ([], 0)
    assert existing.read_bytes() == b"someone's file"
    missing = tmp_path / "no-such-folder" / "fixed.keras"
    assert main(["repair", f"{served.url}/big.keras", "-o", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"repair: {missing.parent} is not an existing folder; nothing written\n"
    )
    assert (served.requests, served.bytes_sent) == ([], 0)


def test_http_urls_that_name_folders_are_refused_in_one_line(
    served: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = scan(capsys, f"{served.url}/", f"{served.url}/models/")
    assert code == 2 and "0 clean, 2 error(s); 0 bytes read" in out
    assert err.splitlines() == [
        f"scan: {url}: http:// has no way to list a folder; name each file's URL "
        "(folders and prefixes: s3://, gs://, az://... with fsspec)"
        for url in (f"{served.url}/", f"{served.url}/models/")
    ]
    code = main(["repair", f"{served.url}/models/", "-o", str(tmp_path / "o.keras")])
    assert code == 2 and capsys.readouterr().err == (
        f"repair: {served.url}/models/: http:// has no way to list a folder; name "
        "each file's URL (folders and prefixes: s3://, gs://, az://... with "
        "fsspec); nothing written\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_download_exits_143_and_writes_nothing(
    served: RangeServer, tmp_path: Path, installed_files: Venv
) -> None:
    """The TERM a service manager sends unwinds a remote repair as it does a
    local one, whatever the store's error handling catches."""
    url = served.behave("hangs.keras", "silent")
    served.reset_counts()
    process = subprocess.Popen(
        [installed_files.cli, "repair", url, "-o", str(tmp_path / "out.keras")],
        env=environment(), cwd=tmp_path, text=True, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(path == "/hangs.keras" for _, path, _ in served.requests):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert (process.returncode, err) == (
        128 + signal.SIGTERM,
        "repair: terminated; nothing written\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def with_fsspec() -> Venv:
    """The wheel with the remote stack (fsspec, s3fs), in its own venv."""
    from support.processes import shared_venv

    return Venv(
        shared_venv("remote", "fsspec==2026.9.0", "s3fs==2026.9.0", runtime=False,
                    with_deps=True)
    )  # fmt: skip


def test_a_local_scan_never_imports_fsspec(
    with_fsspec: Venv, affected_model: AffectedModel
) -> None:
    arguments = ["scan", str(affected_model.path)]
    assert cli_in_bare_interpreter(with_fsspec.python, arguments) == (1, [])


def test_without_fsspec_a_bucket_url_says_what_to_install(installed: Venv) -> None:
    completed = installed.run("keras-rescaling-patch", "scan", "s3://models/a.keras")
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "scan: s3://models/a.keras: reading s3:// URLs needs fsspec and s3fs: "
        "pip install fsspec s3fs\n"
    )


HUGE_LISTING = """
import json, resource, sys, time
import fsspec
from keras_rescaling_patch.files import api
memory = fsspec.filesystem("memory")
for number in range(100_000):
    memory.pipe_file(f"/huge/logs/{number:06d}.txt", b"x")
model = open(sys.argv[1], "rb").read()
for number in range(3):
    memory.pipe_file(f"/huge/models/m{number}.keras", model)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
reports = [(r.file, r.status) for r in api.scan_many(["memory://huge/"], jobs=4)]
seconds = time.monotonic() - started
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"reports": reports, "seconds": seconds, "grown_kib": grown}))
"""


def test_a_listing_of_100000_keys_is_scanned_in_bounded_time_and_memory(
    with_fsspec: Venv, affected_model: AffectedModel
) -> None:
    """Only the model files of a huge prefix are read; the listing itself is
    the only thing that grows with it, by a few hundred bytes a key."""
    completed = with_fsspec.run("python", "-c", HUGE_LISTING, str(affected_model.path))
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.splitlines()[-1])
    assert result["reports"] == [
        [f"memory://huge/models/m{number}.keras", "affected"] for number in range(3)
    ]
    assert result["seconds"] < 60, result
    assert result["grown_kib"] < 256 * 1024, result


def test_an_azure_container_through_azurite(
    affected_model: AffectedModel,
    served: RangeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import adlfs

    with azurite(tmp_path / "azurite") as connection:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection)
        adlfs.AzureBlobFileSystem.clear_instance_cache()
        fs = adlfs.AzureBlobFileSystem()
        fs.mkdir("models")
        fs.put_file(str(affected_model.path), "models/prod/a.keras")
        fs.put_file(str(served._server.folder / "big.keras"), "models/prod/big.keras")
        try:
            code, out, _ = scan(capsys, "az://models/prod/", "--format", "jsonl")
            assert code == 1
            reports = [json.loads(line) for line in out.splitlines()]
            assert [(r["file"], r["status"]) for r in reports] == [
                ("az://models/prod/a.keras", "affected"),
                ("az://models/prod/big.keras", "affected"),
            ]
            assert reports[1]["bytes_read"] <= 256 * 1024 + config_size(served)
            target = "az://models/fixed/a.keras"
            assert main(["repair", "az://models/prod/a.keras", "-o", target]) == 0
            assert main(["repair", "az://models/prod/a.keras", "-o", target]) == 2
            assert "exists; pass --force" in capsys.readouterr().err
            assert api.scan(target).status == "clean"
        finally:
            adlfs.AzureBlobFileSystem.clear_instance_cache()


def test_one_file_into_a_prefix_goes_there_by_its_own_name(
    s3: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"{s3}/prod/team/a.keras"
    assert main(["repair", source, "-o", f"{s3}/newprefix/"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"repaired {source} -> {s3}/newprefix/a.keras: ")
    assert api.scan(f"{s3}/newprefix/a.keras").status == "clean"
    assert main(["repair", source, "-o", s3, "--force"]) == 2
    assert capsys.readouterr().err == (
        f"repair: cannot write {s3}: {s3} names a bucket or a prefix, not an "
        "object; nothing written\n"
    )


INTERRUPTED_UPLOAD = """
import json, os, signal, subprocess, sys, time
import s3fs
fs = s3fs.S3FileSystem()
# A terminal's Ctrl-C: where this test runs in a background job, SIGINT is
# ignored, and the repair would inherit that; give it the default back.
signal.signal(signal.SIGINT, signal.SIG_DFL)
def uploads():
    return fs.call_s3("list_multipart_uploads", Bucket="models").get("Uploads", [])
for attempt in range(3):
    target = f"{sys.argv[3]}/{attempt}/big.keras"
    command = [sys.argv[1], "repair", sys.argv[2], "-o", target]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not uploads():
        assert process.poll() is None and time.monotonic() < deadline, "no upload seen"
        time.sleep(0.01)
    # Freeze it, then make sure it is still mid-upload: on a loaded machine
    # the last part may have gone while the listing came back.
    process.send_signal(signal.SIGSTOP)
    if process.poll() is None and uploads():
        break
    process.send_signal(signal.SIGCONT)
    process.communicate(timeout=120)
else:
    raise AssertionError("every upload ended before it could be interrupted")
process.send_signal(signal.SIGINT)
process.send_signal(signal.SIGCONT)
_, err = process.communicate(timeout=120)
print(json.dumps([process.returncode, err, len(uploads()), fs.exists(target.split("://")[1])]))
"""


def test_an_interrupted_upload_leaves_no_parts_and_no_object(
    s3: str, with_fsspec: Venv, tmp_path: Path
) -> None:
    """Ctrl-C during a multipart upload: the unfinished upload is aborted, so
    its parts are not left to cost storage, and nothing is published."""
    big = synthetic_archive(tmp_path / "big.keras", 96 << 20)
    target = f"{s3}/interrupted"
    completed = with_fsspec.run(
        "python", "-c", INTERRUPTED_UPLOAD, with_fsspec.cli, str(big), target,
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    code, err, left, exists = json.loads(completed.stdout)
    assert (code, left, exists) == (130, 0, False), completed.stdout
    assert "interrupted; nothing written" in err


PEAK_MEMORY = """
import json, resource, subprocess, sys
def peak(*arguments):
    subprocess.run([sys.argv[1], *arguments], check=False, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
scanned = peak("scan", sys.argv[2])
repaired = peak("repair", sys.argv[2], "-o", sys.argv[3])
print(json.dumps([scanned, repaired]))
"""


def test_a_remote_repair_holds_no_whole_file_in_memory(
    s3: str, with_fsspec: Venv
) -> None:
    """200 MiB from S3 to S3: downloaded to disk and uploaded in parts, so
    the repair's peak memory is that of a scan plus a part or two."""
    target = f"{s3}/fixed/big.keras"
    completed = with_fsspec.run(
        "python", "-c", PEAK_MEMORY, with_fsspec.cli, f"{s3}/prod/big.keras", target,
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    scanned, repaired = json.loads(completed.stdout)
    assert api.scan(target).status == "clean"
    assert repaired - scanned < 48 << 20, (scanned >> 20, repaired >> 20)
