// libFuzzer target: MPEG-PS as it arrives in GB/T 28181 RTP payloads, through the demuxer
// the worker uses (GStreamer's mpegpsdemux, then the H.264/H.265 parser): any bytes end in
// end-of-stream or an error message, never a crash or a hang. Inputs starting with 'A' are
// taken as an access unit and wrapped in a PS pack first (so mutations reach PES payloads
// and the stream map as a device would send them; 'B' likewise, without the map, carrying
// G.711 audio). Where a late receiver starts (FromFirstStreamMap), and the map guessed for a
// stream without one (FromFirstKeyframeWithGuessedMap), are checked on the same bytes.
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/media/ps_muxer.h"
#include "proto/media/ps_stream.h"

namespace {

void OnPad(GstElement*, GstPad* pad, gpointer bin) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(bin), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad* sinkpad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sinkpad);
  gst_object_unref(sinkpad);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gst_init(nullptr, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!bytes.empty() && bytes[0] == 'A') {
    bytes = xl::ps::MuxPsPack(std::string_view(bytes).substr(1), true, size % 2 ? "h265" : "h264", 18000, 9000);
  } else if (!bytes.empty() && bytes[0] == 'B') {
    bytes = xl::ps::MuxPsPack(std::string_view(bytes).substr(1), true, size % 2 ? "h265" : "h264", 18000, 9000,
                              {false, std::string(size % 320, '\xd5')});
  }
  // A guessed map: the bytes from a pack on, with a map put in; the demuxer reads it below.
  const std::string guessed = xl::ps::FromFirstKeyframeWithGuessedMap(bytes);
  if (!guessed.empty() && (guessed.compare(0, 4, std::string("\0\0\1\xBA", 4)) != 0 ||
                           guessed.find(std::string("\0\0\1\xBC", 4)) == std::string::npos)) {
    __builtin_trap();
  }
  if (!guessed.empty() && size % 3 == 0) bytes = guessed;
  // Where a receiver joining late starts: a suffix of the bytes, or nothing.
  const std::string_view from = xl::ps::FromFirstStreamMap(bytes);
  if (!from.empty() && from.data() + from.size() != bytes.data() + bytes.size()) __builtin_trap();
  GstElement* pipeline = gst_parse_launch(
      "appsrc name=src caps=video/mpeg,mpegversion=2,systemstream=true format=bytes ! mpegpsdemux name=demux", nullptr);
  if (!pipeline) __builtin_trap();
  GstElement* demux = gst_bin_get_by_name(GST_BIN(pipeline), "demux");
  g_signal_connect(demux, "pad-added", G_CALLBACK(OnPad), pipeline);
  gst_object_unref(demux);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  if (!bytes.empty()) gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_memdup(bytes.data(), bytes.size()));
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (!msg) __builtin_trap();  // neither end nor error: a hang
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return 0;
}
