// libFuzzer target: MANSCDP bodies (XML, any declared encoding) must parse to a message or a
// clear error, never a crash, a hang or a network fetch; a parsed message rebuilds to a body
// that, when it parses again, has the same command and catalog size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/gb28181/manscdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = xl::gb28181::ParseManscdp(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!m.ok()) {
    if (m.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (m->sn < 0 || m->cmd_type.empty() || m->device_id.empty()) __builtin_trap();
  auto again = xl::gb28181::ParseManscdp(xl::gb28181::BuildManscdp(*m));
  // Text outside ASCII may come back as a neighbouring character (the body is written in
  // GB18030 and declared GB2312, as devices expect; a few code points map differently).
  bool ascii = true;
  for (unsigned char c : m->cmd_type) ascii = ascii && c < 0x80;
  if (again.ok() && ((ascii && again->cmd_type != m->cmd_type) || again->items.size() != m->items.size())) {
    __builtin_trap();
  }
  return 0;
}
