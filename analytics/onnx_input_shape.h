// The declared shape of an ONNX model's first input, read from the file's protobuf without
// ONNX's schema: cv::dnn 4.6 runs a model only at that size (another may crash it) and has
// no call that tells it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace xl::analytics {

// Dimensions of the first graph input that is not an initializer; an open dimension is -1.
// An Error when the file cannot be read or is not an ONNX model.
Result<std::vector<int64_t>> OnnxInputShape(const std::string& path);

// The same from the file's bytes; `name` is what errors call it. Any bytes: never a crash.
Result<std::vector<int64_t>> OnnxInputShapeOf(std::string_view bytes, const std::string& name);

}  // namespace xl::analytics
