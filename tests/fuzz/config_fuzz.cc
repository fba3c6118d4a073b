// libFuzzer target: the worker's YAML config parser must turn any bytes into a config or a
// clear error, never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/worker_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = xl::ingest::ParseWorkerConfig(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (!result.ok() && result.error().message.rfind("fuzz.yaml:", 0) != 0) __builtin_trap();  // errors name the file
  return 0;
}
