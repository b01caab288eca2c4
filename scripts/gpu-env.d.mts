export function hasHardwareVulkan(): boolean;
export function hasSystemVulkanLoader(): boolean;
export function softwareGpuEnv(env?: Record<string, string | undefined>): Record<string, string>;
