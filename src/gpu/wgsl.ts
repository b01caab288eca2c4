/**
 * The TS side of the TS↔WGSL contract, read from the WGSL itself (webgpu-utils' reflection), so
 * the two cannot drift: uniform structs are packed by field name from their declaration, bind
 * groups are built by variable name, and a name or field the shader does not declare (or one it
 * declares that the host leaves out) is an error, never a silently shifted buffer.
 */
import { makeShaderDataDefinitions, makeStructuredView, type ShaderDataDefinitions, type StructuredView, type VariableDefinition } from 'webgpu-utils';
import type { GpuContext } from './context.ts';

const defsCache = new Map<string, ShaderDataDefinitions>();

/** Reflection of one WGSL source (cached per source text). */
export function shaderDefs(code: string): ShaderDataDefinitions {
  let d = defsCache.get(code);
  if (!d) defsCache.set(code, (d = makeShaderDataDefinitions(code)));
  return d;
}

/** Padding fields (`_p0`, `pad1`) need no value. */
const isPadding = (name: string) => /^(_|pad)/.test(name);

const viewCache = new Map<string, StructuredView>();

/**
 * The bytes of uniform `name` (its struct as the shader declares it) with `values` set by field
 * name. Every non-padding field must be given, and only declared fields may be.
 */
export function packUniform(code: string, name: string, values: Record<string, number | boolean | ArrayLike<number>>): Uint8Array {
  const def = variable(code, name, 'uniforms');
  const key = `${name}\0${code}`;
  let view = viewCache.get(key);
  if (!view) viewCache.set(key, (view = makeStructuredView(def)));
  const fields = (def.typeDefinition as { fields?: Record<string, unknown> }).fields ?? {};
  for (const k of Object.keys(values)) {
    if (!(k in fields)) throw new Error(`uniform ${name}: the shader declares no field '${k}' (fields: ${Object.keys(fields).join(', ')})`);
  }
  const data: Record<string, number | ArrayLike<number>> = {};
  for (const f of Object.keys(fields)) {
    if (isPadding(f)) {
      data[f] = 0;
      continue;
    }
    const v = values[f];
    if (v === undefined) throw new Error(`uniform ${name}: no value for field '${f}'`);
    data[f] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  view.set(data);
  return new Uint8Array(view.arrayBuffer.slice(0));
}

/** Bytes of uniform `name`'s struct. */
export function uniformSize(code: string, name: string): number {
  return variable(code, name, 'uniforms').size;
}

function variable(code: string, name: string, kind: 'uniforms' | 'storages'): VariableDefinition {
  const d = shaderDefs(code);
  const v = d[kind][name];
  if (!v) throw new Error(`the shader declares no ${kind === 'uniforms' ? 'uniform' : 'storage buffer'} '${name}'`);
  return v;
}

/** The binding number of resource `name` in group `group`. */
export function bindingOf(code: string, name: string, group = 0): number {
  const d = shaderDefs(code);
  const v = d.uniforms[name] ?? d.storages[name];
  if (!v) throw new Error(`the shader declares no buffer '${name}' (buffers: ${[...Object.keys(d.uniforms), ...Object.keys(d.storages)].join(', ')})`);
  if (v.group !== group) throw new Error(`buffer '${name}' is in group ${v.group}, not ${group}`);
  return v.binding;
}

/**
 * A bind group for `pipeline` from buffers named as in the shader. Only the names the entry point
 * uses belong in `buffers` (as with layout 'auto'); a name the shader does not declare throws.
 */
export function bindGroupByName(
  gpu: GpuContext,
  label: string,
  pipeline: GPUComputePipeline,
  code: string,
  buffers: Record<string, GPUBuffer | GPUBufferBinding>,
  group = 0,
): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = Object.entries(buffers).map(([name, b]) => ({
    binding: bindingOf(code, name, group),
    resource: 'buffer' in b ? b : { buffer: b },
  }));
  return gpu.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(group), entries });
}
