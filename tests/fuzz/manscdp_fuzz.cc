// libFuzzer target: MANSCDP bodies (XML, any declared encoding) must parse to a message or a
// clear error, never a crash, a hang or a network fetch; a parsed message rebuilds to a body
// that parses again with the same command and catalog size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/gb28181/manscdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = xl::gb28181::ParseManscdp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!m.ok()) {
    if (m.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (m->sn < 0 || m->cmd_type.empty() || m->device_id.empty()) __builtin_trap();
  auto again = xl::gb28181::ParseManscdp(xl::gb28181::BuildManscdp(*m));
  if (again.ok() && (again->cmd_type != m->cmd_type || again->items.size() != m->items.size())) __builtin_trap();
  return 0;
}
