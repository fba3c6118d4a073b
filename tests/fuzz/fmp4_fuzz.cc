// libFuzzer target: whatever bytes a recording file holds (a crash may cut it anywhere, a disk
// may corrupt it, another program may have written it), reading it back as access units
// (proto/media/fmp4_reader.h) must neither crash nor read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/media/fmp4_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto file = xl::fmp4::Fmp4File::Parse(bytes);
  if (!file.ok()) return 0;
  if (file->whole_bytes() > size) __builtin_trap();
  for (size_t i = 0; i < file->samples().size(); ++i) {
    const auto& s = file->samples()[i];
    if (s.offset > size || s.size > size - s.offset) __builtin_trap();  // only whole samples are listed
    file->AccessUnit(bytes, i);
  }
  return 0;
}
