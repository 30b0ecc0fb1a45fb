"""Server reflection (grpc.reflection.v1 and v1alpha) against a running
rcid: list services, fetch files by symbol and by name and resolve every
dependency, in-band NOT_FOUND errors that leave the stream open, and a call
to ListRegions made only from reflected descriptors; `rcictl ls`.
(Issue 2 "Standard services"; grpc-wire.md §8.2.)"""

import queue
import unittest

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import harness
from reflectionpb import reflection_pb2 as v1_pb2
from reflectionpb import reflection_pb2_grpc as v1_grpc
from reflectionv1alphapb import reflection_pb2 as v1alpha_pb2
from reflectionv1alphapb import reflection_pb2_grpc as v1alpha_grpc

VERSIONS = {
    "v1": (v1_pb2, v1_grpc),
    "v1alpha": (v1alpha_pb2, v1alpha_grpc),
}
NOT_FOUND = grpc.StatusCode.NOT_FOUND.value[0]


class ReflectionStream:
    """One ServerReflectionInfo stream used in lock-step, as grpcurl does:
    send one request, wait for its response, and only half-close at the end.
    A server that waits for END_STREAM before answering makes ask() time out."""

    def __init__(self, channel, version, timeout=20):
        self.pb2, grpc_mod = VERSIONS[version]
        self.q = queue.Queue()
        stub = grpc_mod.ServerReflectionStub(channel)
        self.responses = stub.ServerReflectionInfo(self._requests(), timeout=timeout)
        self.it = iter(self.responses)

    def _requests(self):
        while True:
            r = self.q.get()
            if r is None:
                return
            yield r

    def ask(self, **fields):
        req = self.pb2.ServerReflectionRequest(host="localhost", **fields)
        self.q.put(req)
        resp = next(self.it)
        return req, resp

    def close(self):
        """Half-close and require the stream to end with OK."""
        self.q.put(None)
        rest = list(self.it)
        return rest, self.responses.code()

    def cancel(self):
        self.q.put(None)
        self.responses.cancel()


def parse_files(resp):
    return [descriptor_pb2.FileDescriptorProto.FromString(b)
            for b in resp.file_descriptor_response.file_descriptor_proto]


def message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    get = getattr(message_factory, "GetMessageClass", None)
    if get is not None:
        return get(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


class ReflectionTest(harness.RcidTestCase):

    def stream(self, version):
        s = ReflectionStream(self.rcid.channel(), version)
        self.addCleanup(s.cancel)
        return s

    def resolve(self, s, symbol):
        """file_containing_symbol, then file_by_filename for every dependency
        not yet seen (transitively). Returns {file name: FileDescriptorProto}."""
        _, resp = s.ask(file_containing_symbol=symbol)
        self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response",
                         f"file_containing_symbol {symbol}: {resp}")
        files = {f.name: f for f in parse_files(resp)}
        self.assertTrue(files, f"no files for {symbol}")
        todo = [d for f in list(files.values()) for d in f.dependency]
        while todo:
            name = todo.pop()
            if name in files:
                continue
            _, r = s.ask(file_by_filename=name)
            self.assertEqual(r.WhichOneof("message_response"), "file_descriptor_response",
                             f"dependency {name!r} cannot be resolved: {r}")
            for f in parse_files(r):
                if f.name not in files:
                    files[f.name] = f
                    todo.extend(f.dependency)
            self.assertIn(name, files, f"file_by_filename({name!r}) did not return that file")
        return files

    @staticmethod
    def build_pool(files):
        pool = descriptor_pool.DescriptorPool()
        added = set()

        def add(name):
            if name in added:
                return
            for d in files[name].dependency:
                add(d)
            pool.Add(files[name])
            added.add(name)

        for n in files:
            add(n)
        return pool

    # -- list_services --

    def test_list_services(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                s = self.stream(version)
                req, resp = s.ask(list_services="*")
                self.assertEqual(resp.WhichOneof("message_response"), "list_services_response", resp)
                names = [x.name for x in resp.list_services_response.service]
                self.assertEqual(set(names), harness.SERVED_SERVICES)
                self.assertEqual(len(names), len(set(names)), f"duplicates in {names}")
                # Every response echoes the request and the host.
                self.assertEqual(resp.valid_host, "localhost")
                self.assertEqual(resp.original_request, req)
                rest, code = s.close()
                self.assertEqual(rest, [])
                self.assertEqual(code, grpc.StatusCode.OK)

    def test_list_services_with_empty_content(self):
        s = self.stream("v1")
        _, resp = s.ask(list_services="")
        self.assertEqual({x.name for x in resp.list_services_response.service},
                         harness.SERVED_SERVICES)

    # -- files --

    def test_file_containing_symbol_registry_service(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                s = self.stream(version)
                files = self.resolve(s, "rci.v1.RegistryService")
                self.assertIn("rci/v1/registry.proto", files)
                f = files["rci/v1/registry.proto"]
                self.assertEqual(f.package, "rci.v1")
                svc = {x.name: x for x in f.service}
                self.assertIn("RegistryService", svc)
                methods = {m.name: m for m in svc["RegistryService"].method}
                self.assertIn("ListRegions", methods)
                self.assertEqual(methods["ListRegions"].input_type, ".rci.v1.ListRegionsRequest")
                self.assertEqual(methods["ListRegions"].output_type, ".rci.v1.ListRegionsResponse")
                self.assertFalse(methods["ListRegions"].server_streaming)
                # Every dependency resolved; the pool builds without errors.
                pool = self.build_pool(files)
                pool.FindServiceByName("rci.v1.RegistryService")
                _, code = s.close()
                self.assertEqual(code, grpc.StatusCode.OK)

    def test_symbols_of_every_kind(self):
        s = self.stream("v1")
        symbols = {
            "rci.v1.RegistryService": "rci/v1/registry.proto",             # service
            "rci.v1.RegistryService.ListRegions": "rci/v1/registry.proto",  # method
            "rci.v1.Region": "rci/v1/registry.proto",                      # message
            "rci.v1.ListRegionsRequest": "rci/v1/registry.proto",
            "rci.v1.RegionKind": "rci/v1/registry.proto",                  # enum
            "rci.v1.Region.code": "rci/v1/registry.proto",                 # field
            "grpc.health.v1.Health": "grpc/health/v1/health.proto",
            "grpc.health.v1.Health.Watch": "grpc/health/v1/health.proto",
            "grpc.health.v1.HealthCheckResponse.ServingStatus": "grpc/health/v1/health.proto",
            "grpc.reflection.v1.ServerReflection": "grpc/reflection/v1/reflection.proto",
            "grpc.reflection.v1alpha.ServerReflection": "grpc/reflection/v1alpha/reflection.proto",
        }
        for sym, want in symbols.items():
            with self.subTest(symbol=sym):
                _, resp = s.ask(file_containing_symbol=sym)
                self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response",
                                 f"{sym}: {resp}")
                names = [f.name for f in parse_files(resp)]
                self.assertIn(want, names)

    def test_enum_value_symbol(self):
        # Enum values live in the enclosing scope of their enum (protobuf scoping).
        s = self.stream("v1")
        _, resp = s.ask(file_containing_symbol="rci.v1.REGION_KIND_CITY")
        self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response", resp)
        self.assertIn("rci/v1/registry.proto", [f.name for f in parse_files(resp)])

    def test_file_by_filename(self):
        s = self.stream("v1alpha")
        for name in ("rci/v1/registry.proto", "grpc/health/v1/health.proto",
                     "grpc/reflection/v1/reflection.proto",
                     "grpc/reflection/v1alpha/reflection.proto"):
            with self.subTest(file=name):
                _, resp = s.ask(file_by_filename=name)
                self.assertEqual(resp.WhichOneof("message_response"), "file_descriptor_response",
                                 f"{name}: {resp}")
                files = parse_files(resp)
                self.assertIn(name, [f.name for f in files])

    def test_every_listed_service_resolves_with_its_methods(self):
        # A client with no .proto files can discover every method.
        s = self.stream("v1")
        _, resp = s.ask(list_services="*")
        for svc in (x.name for x in resp.list_services_response.service):
            with self.subTest(service=svc):
                files = self.resolve(s, svc)
                pool = self.build_pool(files)
                d = pool.FindServiceByName(svc)
                self.assertGreater(len(d.methods), 0)
                for m in d.methods:
                    # Input and output types resolve too.
                    self.assertTrue(m.input_type.full_name and m.output_type.full_name)

    # -- errors, in band --

    def test_unknown_symbol_is_in_band_not_found_and_stream_continues(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                s = self.stream(version)
                req, resp = s.ask(file_containing_symbol="rci.v1.NoSuchThing")
                self.assertEqual(resp.WhichOneof("message_response"), "error_response", resp)
                self.assertEqual(resp.error_response.error_code, NOT_FOUND)
                self.assertEqual(resp.original_request, req)
                # Same stream, next request still answered.
                _, resp = s.ask(file_by_filename="no/such/file.proto")
                self.assertEqual(resp.WhichOneof("message_response"), "error_response", resp)
                self.assertEqual(resp.error_response.error_code, NOT_FOUND)
                _, resp = s.ask(list_services="*")
                self.assertEqual(resp.WhichOneof("message_response"), "list_services_response")
                _, code = s.close()
                self.assertEqual(code, grpc.StatusCode.OK)

    def test_extensions(self):
        s = self.stream("v1")
        # rci protos are proto3: no extensions → NOT_FOUND.
        _, resp = s.ask(file_containing_extension=v1_pb2.ExtensionRequest(
            containing_type="rci.v1.Region", extension_number=100))
        self.assertEqual(resp.WhichOneof("message_response"), "error_response", resp)
        self.assertEqual(resp.error_response.error_code, NOT_FOUND)
        # Unknown type → NOT_FOUND.
        _, resp = s.ask(all_extension_numbers_of_type="rci.v1.NoSuchType")
        self.assertEqual(resp.WhichOneof("message_response"), "error_response", resp)
        self.assertEqual(resp.error_response.error_code, NOT_FOUND)
        # Known type: answered (no numbers) or refused with a proper error.
        _, resp = s.ask(all_extension_numbers_of_type="rci.v1.Region")
        kind = resp.WhichOneof("message_response")
        if kind == "all_extension_numbers_response":
            self.assertEqual(resp.all_extension_numbers_response.base_type_name, "rci.v1.Region")
            self.assertEqual(list(resp.all_extension_numbers_response.extension_number), [])
        else:
            self.assertEqual(kind, "error_response", resp)
            self.assertIn(resp.error_response.error_code,
                          (NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED.value[0]))
        # The stream is still usable.
        _, resp = s.ask(list_services="*")
        self.assertEqual(resp.WhichOneof("message_response"), "list_services_response")

    # -- a call built only from reflected descriptors --

    def test_call_built_from_reflected_descriptors(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                s = self.stream(version)
                files = self.resolve(s, "rci.v1.RegistryService")
                s.close()
                pool = self.build_pool(files)
                svc = pool.FindServiceByName("rci.v1.RegistryService")
                m = svc.methods_by_name["ListRegions"]
                Req = message_class(pool, m.input_type.full_name)
                Resp = message_class(pool, m.output_type.full_name)
                # Nothing from the generated stubs is used below.
                city = pool.FindEnumTypeByName("rci.v1.RegionKind").values_by_name["REGION_KIND_CITY"]
                call = self.rcid.channel().unary_unary(
                    f"/{svc.full_name}/{m.name}",
                    request_serializer=Req.SerializeToString,
                    response_deserializer=Resp.FromString)
                req = Req()
                req.kind = city.number
                resp = call(req, timeout=10)
                by_code = {r.code: r for r in resp.regions}
                self.assertIn("440300", by_code)
                self.assertEqual(by_code["440300"].name_en, "Shenzhen")
                self.assertEqual(by_code["440300"].name_zh, "深圳市")
                self.assertEqual(len(by_code), 15)
                # Unfiltered call through the same dynamic classes.
                resp = call(Req(), timeout=10)
                self.assertIn("440300", [r.code for r in resp.regions])

    # -- rcictl --

    def test_rcictl_ls(self):
        p = self.rcid.rcictl("ls")
        self.assertEqual(p.returncode, 0, f"rcictl ls: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        listed = set(p.stdout.split())
        for svc in harness.SERVED_SERVICES:
            self.assertIn(svc, listed, f"rcictl ls does not list {svc}:\n{p.stdout}")

    def test_rcictl_ls_service(self):
        p = self.rcid.rcictl("ls", "rci.v1.RegistryService")
        self.assertEqual(p.returncode, 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        self.assertIn("ListRegions", p.stdout)

    def test_rcictl_ls_unknown_service_fails(self):
        p = self.rcid.rcictl("ls", "no.such.Service")
        self.assertNotEqual(p.returncode, 0, f"rcictl ls of an unknown service exited 0:\n{p.stdout}")


if __name__ == "__main__":
    unittest.main()
