// libFuzzer target: a model file is read from disk before cv::dnn sees it, to learn its input
// size (analytics/onnx_input_shape.h). Whatever its bytes, that reading must neither crash
// nor read out of bounds, and a shape it gives has at most as many dimensions as bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analytics/onnx_input_shape.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto shape =
      xl::analytics::OnnxInputShapeOf(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (shape.ok() && shape.value().size() > size) __builtin_trap();
  return 0;
}
