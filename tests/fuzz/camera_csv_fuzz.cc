// libFuzzer target: the bulk-import CSV parser must turn any bytes into rows and row errors
// or one clear whole-file error, never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "router/registry/camera_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto csv = xl::router::ParseCameraCsv(text, [](const std::string& id) { return id.back() == '7'; });
  if (csv.ok()) {
    if (size_t(csv->rows) != csv->valid.size() + csv->errors.size()) __builtin_trap();  // every row accounted for
    int last = 1;
    for (const auto& e : csv->errors) {
      if (e.row <= last || e.reason.empty()) __builtin_trap();  // rows in order, each with a reason
      last = e.row;
    }
  } else if (csv.error().message.empty()) {
    __builtin_trap();
  }
  return 0;
}
