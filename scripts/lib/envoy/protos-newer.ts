// The Envoy API changes the bootstrap depends on that are newer than the protos @grpc/grpc-js-xds
// ships (its deps/envoy-api predates them): without these, the proto validator would call the
// current fields unknown and miss the deprecations Envoy 1.39 warns about. Field numbers and enum
// values are Envoy's (envoy/extensions/wasm/v3/wasm.proto, envoy/config/rbac/v3/rbac.proto, as
// go-control-plane/envoy v1.40.0 carries them). Real `envoy --mode validate` stays the check of
// record (tests/envoy/validate.test.ts); this keeps the offline validator in step with it.
import protobuf from 'protobufjs';

type Patch = (root: protobuf.Root, type: protobuf.Type) => void;

function deprecate(type: protobuf.Type, field: string): void {
  type.fields[field]?.setOption('deprecated', true);
}

/** A field added to a loaded type; resolveAll would skip it (the type counts as resolved), so it is resolved here. */
function addField(type: protobuf.Type, field: protobuf.Field, oneof?: string): void {
  if (type.fields[field.name]) return;
  if (oneof) type.oneofs[oneof]!.add(field);
  else type.add(field);
  field.resolve();
}

function addEnum(root: protobuf.Root, pkg: string, name: string, values: Record<string, number>): void {
  const namespace = root.lookup(pkg);
  if (namespace instanceof protobuf.Namespace && !namespace.get(name)) namespace.add(new protobuf.Enum(name, values));
}

const PATCHES: Record<string, Patch> = {
  // Envoy 1.34: fail_open → failure_policy (FAIL_CLOSED is Istio's failStrategy FAIL_CLOSE).
  'envoy.extensions.wasm.v3.PluginConfig': (root, type) => {
    addEnum(root, 'envoy.extensions.wasm.v3', 'FailurePolicy', { UNSPECIFIED: 0, FAIL_RELOAD: 1, FAIL_CLOSED: 2, FAIL_OPEN: 3 });
    addField(type, new protobuf.Field('failure_policy', 7, 'FailurePolicy'));
    deprecate(type, 'fail_open');
  },
  // Principal.metadata → sourced_metadata (the same matcher, plus where the metadata comes from).
  'envoy.config.rbac.v3.Principal': (root, type) => {
    addEnum(root, 'envoy.config.rbac.v3', 'MetadataSource', { DYNAMIC: 0, ROUTE: 1 });
    const rbac = root.lookup('envoy.config.rbac.v3') as protobuf.Namespace;
    if (!rbac.get('SourcedMetadata')) {
      rbac.add(
        new protobuf.Type('SourcedMetadata')
          .add(new protobuf.Field('metadata_matcher', 1, 'envoy.type.matcher.v3.MetadataMatcher', undefined, undefined, { '(validate.rules).message.required': true }))
          .add(new protobuf.Field('metadata_source', 2, 'MetadataSource')),
      );
    }
    addField(type, new protobuf.Field('sourced_metadata', 13, 'SourcedMetadata'), 'identifier');
    deprecate(type, 'metadata');
  },
};

/** Applies every patch whose message is loaded; call after each load, before resolveAll. */
export function applyNewerEnvoyApi(root: protobuf.Root): void {
  for (const [name, patch] of Object.entries(PATCHES)) {
    const type = root.lookup(name);
    if (type instanceof protobuf.Type) patch(root, type);
  }
}
