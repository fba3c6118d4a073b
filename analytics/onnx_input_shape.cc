#include "analytics/onnx_input_shape.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <set>

namespace xl::analytics {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Field numbers of onnx.proto (ModelProto.graph, GraphProto.input/initializer, …).
constexpr int kModelGraph = 7;
constexpr int kGraphInitializer = 5, kGraphInput = 11;
constexpr int kTensorName = 8;
constexpr int kValueName = 1, kValueType = 2;
constexpr int kTypeTensor = 1, kTensorShape = 2, kShapeDim = 1, kDimValue = 1;

// Calls `on_field(field, wire type, stream)` for each field of the message in `in` (it must
// read the field or skip it); false when one could not be read.
template <typename F>
bool Fields(CodedInputStream& in, F on_field) {
  while (uint32_t tag = in.ReadTag()) {
    if (!on_field(WireFormatLite::GetTagFieldNumber(tag), WireFormatLite::GetTagWireType(tag), in)) return false;
  }
  return true;
}

bool Skip(CodedInputStream& in, uint32_t field, WireFormatLite::WireType type) {
  return WireFormatLite::SkipField(&in, WireFormatLite::MakeTag(int(field), type));
}

// Reads a length-delimited sub-message with `read`.
template <typename F>
bool Nested(CodedInputStream& in, F read) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  const auto limit = in.PushLimit(int(length));
  const bool ok = read(in);
  in.PopLimit(limit);
  return ok;
}

bool ReadString(CodedInputStream& in, std::string* out) {
  uint32_t length = 0;
  return in.ReadVarint32(&length) && in.ReadString(out, int(length));
}

struct Input {
  std::string name;
  std::vector<int64_t> dims;
};

bool ReadDims(CodedInputStream& in, std::vector<int64_t>* dims) {  // TensorShapeProto
  return Fields(in, [&](uint32_t f, WireFormatLite::WireType t, CodedInputStream& s) {
    if (f != kShapeDim || t != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(s, f, t);
    int64_t value = -1;
    const bool ok = Nested(s, [&](CodedInputStream& d) {
      return Fields(d, [&](uint32_t g, WireFormatLite::WireType u, CodedInputStream& e) {
        if (g == kDimValue && u == WireFormatLite::WIRETYPE_VARINT) {
          uint64_t v = 0;
          if (!e.ReadVarint64(&v)) return false;
          value = int64_t(v);
          return true;
        }
        return Skip(e, g, u);
      });
    });
    dims->push_back(value);
    return ok;
  });
}

bool ReadInput(CodedInputStream& in, Input* input) {  // ValueInfoProto
  return Fields(in, [&](uint32_t f, WireFormatLite::WireType t, CodedInputStream& s) {
    if (t != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(s, f, t);
    if (f == kValueName) return ReadString(s, &input->name);
    if (f != kValueType) return Skip(s, f, t);
    return Nested(s, [&](CodedInputStream& type) {  // TypeProto
      return Fields(type, [&](uint32_t g, WireFormatLite::WireType u, CodedInputStream& ts) {
        if (g != kTypeTensor || u != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(ts, g, u);
        return Nested(ts, [&](CodedInputStream& tensor) {  // TypeProto.Tensor
          return Fields(tensor, [&](uint32_t h, WireFormatLite::WireType v, CodedInputStream& sh) {
            if (h != kTensorShape || v != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(sh, h, v);
            return Nested(sh, [&](CodedInputStream& shape) { return ReadDims(shape, &input->dims); });
          });
        });
      });
    });
  });
}

}  // namespace

Result<std::vector<int64_t>> OnnxInputShape(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return InvalidArgument("cannot read " + path);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) return InvalidArgument("cannot read " + path);
  return OnnxInputShapeOf(bytes, path);
}

Result<std::vector<int64_t>> OnnxInputShapeOf(std::string_view bytes, const std::string& path) {
  if (bytes.size() > size_t(INT32_MAX)) return InvalidArgument(path + " is too large for an ONNX model");
  std::vector<Input> inputs;
  std::set<std::string> initializers;
  bool graph_seen = false, ok = false;
  {
    CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), int(bytes.size()));
    ok = Fields(in, [&](uint32_t f, WireFormatLite::WireType t, CodedInputStream& s) {
      if (f != kModelGraph || t != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(s, f, t);
      graph_seen = true;
      return Nested(s, [&](CodedInputStream& graph) {
        return Fields(graph, [&](uint32_t g, WireFormatLite::WireType u, CodedInputStream& gs) {
          if (u != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(gs, g, u);
          if (g == kGraphInput) {
            Input input;
            const bool read = Nested(gs, [&](CodedInputStream& v) { return ReadInput(v, &input); });
            inputs.push_back(std::move(input));
            return read;
          }
          if (g == kGraphInitializer) {  // older files list weights as inputs too
            return Nested(gs, [&](CodedInputStream& tensor) {
              return Fields(tensor, [&](uint32_t h, WireFormatLite::WireType v, CodedInputStream& ts) {
                if (h != kTensorName || v != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return Skip(ts, h, v);
                std::string name;
                if (!ReadString(ts, &name)) return false;
                initializers.insert(name);
                return true;
              });
            });
          }
          return Skip(gs, g, u);
        });
      });
    });
  }
  if (!ok || !graph_seen) return InvalidArgument(path + " is not an ONNX model");
  for (const Input& input : inputs) {
    if (!initializers.count(input.name)) return input.dims;
  }
  return InvalidArgument(path + " declares no input");
}

}  // namespace xl::analytics
