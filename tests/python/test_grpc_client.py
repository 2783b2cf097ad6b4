"""An independent client: Python grpcio with stubs generated from proto/.

Starts the real `proofline serve` binary on 127.0.0.1:0 with a fresh data
folder and talks to it over gRPC, including server reflection (v1alpha, the
only version Python's grpcio reflection client speaks) and health.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import grpc
import pytest
from google.protobuf import json_format

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GEN = os.path.join(os.path.dirname(__file__), "gen")


def _generate_stubs():
    from grpc_tools import protoc

    os.makedirs(GEN, exist_ok=True)
    protos = sorted(glob.glob(os.path.join(ROOT, "proto", "proofline", "v1", "*.proto")))
    rc = protoc.main(
        ["protoc", f"-I{os.path.join(ROOT, 'proto')}", f"--python_out={GEN}", f"--grpc_python_out={GEN}", *protos]
    )
    assert rc == 0, "protoc failed"
    sys.path.insert(0, GEN)


_generate_stubs()

from proofline.v1 import common_pb2, personalization_pb2, personalization_pb2_grpc  # noqa: E402

BINARY = os.environ.get("PROOFLINE_BIN", os.path.join(ROOT, "target", "debug", "proofline"))
# The server runs in dev mode (no clients configured): it accepts this token.
AUTH = (("authorization", "Bearer proofline-dev-token"),)
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "briefs", "*.json")))


@pytest.fixture(scope="module")
def server():
    data = tempfile.mkdtemp(prefix="proofline-py-")
    proc = subprocess.Popen(
        [BINARY, "serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", data, "--library", ROOT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline()
    m = re.search(r"grpc=(\S+) http=(\S+)", line)
    assert m, f"server did not start: {line!r}"
    channel = grpc.insecure_channel(m.group(1))
    grpc.channel_ready_future(channel).result(timeout=30)
    yield channel
    channel.close()
    proc.terminate()
    proc.wait(timeout=30)


def load_brief(path):
    with open(path) as f:
        return json_format.ParseDict(json.load(f), common_pb2.AccountBrief())


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_generate_five_channels(server, path):
    stub = personalization_pb2_grpc.PersonalizationStub(server)
    resp = stub.Generate(personalization_pb2.GenerateRequest(brief=load_brief(path)), timeout=30, metadata=AUTH)
    channels = sorted(common_pb2.Channel.Name(d.channel) for d in resp.drafts)
    assert channels == sorted(["EMAIL", "LINKEDIN_CONNECTION", "LINKEDIN_MESSAGE", "LANDING_PAGE", "CALL_SCRIPT"])
    for d in resp.drafts:
        assert d.draft_id and d.text.body
        assert bool(d.text.subject) == (d.channel == common_pb2.EMAIL)
        assert d.route in (common_pb2.AUTO_SEND, common_pb2.HUMAN_REVIEW)
        assert d.reasons, "every route carries reasons"
        assert len(d.lineage.brief_hash) == 64
        assert d.lineage.library_commit
        assert d.lineage.generator.kind == "offline"
        kinds = {i.kind for i in d.lineage.items}
        assert {"prompt", "proof", "policy"} <= kinds, kinds
        # Offline drafts on the bundled examples pass the checks.
        assert not [f for f in d.findings if f.severity == common_pb2.BLOCKING], d.findings


def test_both_routes_across_examples(server):
    stub = personalization_pb2_grpc.PersonalizationStub(server)
    routes = set()
    for path in EXAMPLES:
        resp = stub.Generate(personalization_pb2.GenerateRequest(brief=load_brief(path)), timeout=30, metadata=AUTH)
        routes |= {d.route for d in resp.drafts}
    assert routes == {common_pb2.AUTO_SEND, common_pb2.HUMAN_REVIEW}


def test_bad_brief_is_invalid_argument_naming_the_field(server):
    stub = personalization_pb2_grpc.PersonalizationStub(server)
    brief = load_brief(EXAMPLES[0])
    brief.known_initiatives.add(text="Something public", source_url="not a url")
    idx = len(brief.known_initiatives) - 1
    with pytest.raises(grpc.RpcError) as err:
        stub.Generate(personalization_pb2.GenerateRequest(brief=brief), timeout=30, metadata=AUTH)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"brief.known_initiatives[{idx}].source_url" in err.value.details()


def test_reflection_lists_every_service(server):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(server)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"proofline.v1.Personalization", "grpc.health.v1.Health"} <= names, names
    # The descriptor of each service resolves through reflection too.
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    db = ProtoReflectionDescriptorDatabase(server)
    assert db.FindFileContainingSymbol("proofline.v1.Personalization").name.endswith("personalization.proto")
    assert db.FindFileContainingSymbol("grpc.health.v1.Health") is not None


def test_health_serving(server):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(server)
    resp = stub.Check(health_pb2.HealthCheckRequest(service="proofline.v1.Personalization"), timeout=10)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


def test_calls_without_a_token_are_unauthenticated(server):
    stub = personalization_pb2_grpc.PersonalizationStub(server)
    with pytest.raises(grpc.RpcError) as err:
        stub.Generate(personalization_pb2.GenerateRequest(brief=load_brief(EXAMPLES[0])), timeout=30)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as err:
        stub.Generate(
            personalization_pb2.GenerateRequest(brief=load_brief(EXAMPLES[0])),
            timeout=30,
            metadata=(("authorization", "Bearer not-the-token"),),
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_erase_account_and_verify_audit(server):
    from proofline.v1 import admin_pb2, admin_pb2_grpc

    gen = personalization_pb2_grpc.PersonalizationStub(server)
    admin = admin_pb2_grpc.AdminStub(server)
    brief = load_brief(EXAMPLES[0])
    brief.account_id = "acct-py-erase"
    resp = gen.Generate(
        personalization_pb2.GenerateRequest(brief=brief, channels=[common_pb2.EMAIL]), timeout=30, metadata=AUTH
    )
    draft_id = resp.drafts[0].draft_id
    erased = admin.EraseAccount(admin_pb2.EraseAccountRequest(account_id="acct-py-erase"), timeout=30, metadata=AUTH)
    assert erased.drafts == 1 and erased.briefs == 1
    with pytest.raises(grpc.RpcError) as err:
        gen.GetDraft(personalization_pb2.GetDraftRequest(draft_id=draft_id), timeout=30, metadata=AUTH)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        admin.EraseAccount(admin_pb2.EraseAccountRequest(account_id=""), timeout=30, metadata=AUTH)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "account_id" in err.value.details()
    audit = admin.VerifyAudit(admin_pb2.VerifyAuditRequest(), timeout=30, metadata=AUTH)
    assert audit.ok and audit.entries >= 3 and len(audit.head_hash) == 64
