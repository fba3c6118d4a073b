#include "tools/camsim/encoded_clip.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <cstring>

#include "common/gst_handles.h"

namespace xl::camsim {
namespace {

struct Loader {
  const ClipOptions* options;
  GstElement* pipeline;
  GstElement* sink;
  std::string error;
  bool linked = false;
};

GstElement* Add(GstElement* pipeline, const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (e) gst_bin_add(GST_BIN(pipeline), e);
  return e;
}

// parsebin found a stream: send video either straight to the parser or through a transcoder.
void OnPad(GstElement*, GstPad* pad, gpointer data) {
  auto* l = static_cast<Loader*>(data);
  gst::CapsPtr caps(gst_pad_query_caps(pad, nullptr));
  const char* name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  if (!g_str_has_prefix(name, "video/") || l->linked) return;  // audio stays unlinked
  l->linked = true;
  const ClipOptions& o = *l->options;
  const bool h264 = !std::strcmp(name, "video/x-h264"), h265 = !std::strcmp(name, "video/x-h265");
  const bool passthrough = (h264 || h265) && !o.transcode;
  const bool out265 = passthrough ? h265 : o.codec == "h265";

  std::vector<GstElement*> chain;
  if (!passthrough) {
    GstElement* dec = Add(l->pipeline, "decodebin");
    GstElement* convert = Add(l->pipeline, "videoconvert");
    GstElement* scale = Add(l->pipeline, "videoscale");
    GstElement* rate = Add(l->pipeline, "videorate");
    GstElement* filter = Add(l->pipeline, "capsfilter");
    GstElement* enc = Add(l->pipeline, out265 ? "x265enc" : "x264enc");
    if (!enc) {
      l->error = std::string(out265 ? "x265enc" : "x264enc") + " is not installed";
      return;
    }
    gst::CapsPtr raw(gst_caps_from_string("video/x-raw,format=I420,pixel-aspect-ratio=1/1"));
    if (o.width) gst_caps_set_simple(raw.get(), "width", G_TYPE_INT, o.width, "height", G_TYPE_INT, o.height, nullptr);
    if (o.fps) gst_caps_set_simple(raw.get(), "framerate", GST_TYPE_FRACTION, o.fps, 1, nullptr);
    g_object_set(filter, "caps", raw.get(), nullptr);
    const int area = o.width ? o.width * o.height : 640 * 360;
    const int kbps = o.bitrate_kbps ? o.bitrate_kbps : std::max(200, int(1000.0 * area / (640 * 360)));
    const int gop = (o.fps ? o.fps : 15) * 2;  // a keyframe every 2 s
    if (out265) {
      g_object_set(enc, "bitrate", guint(kbps), "key-int-max", gop, "speed-preset", 2 /* superfast */, nullptr);
      gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
    } else {
      g_object_set(enc, "bitrate", guint(kbps), "key-int-max", guint(gop), "bframes", 0u, nullptr);
      gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "veryfast");
      gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
    }
    // decodebin has dynamic pads: link its output when it appears.
    g_signal_connect(dec, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* p, gpointer convert) {
                       gst::PadPtr sinkpad(gst_element_get_static_pad(GST_ELEMENT(convert), "sink"));
                       if (!gst_pad_is_linked(sinkpad.get())) gst_pad_link(p, sinkpad.get());
                     }),
                     convert);
    gst_element_link_many(convert, scale, rate, filter, enc, nullptr);
    chain = {dec, convert, scale, rate, filter, enc};
  }
  GstElement* parse = Add(l->pipeline, out265 ? "h265parse" : "h264parse");
  GstElement* filter = Add(l->pipeline, "capsfilter");
  g_object_set(parse, "config-interval", -1, nullptr);
  gst::CapsPtr bytestream(gst_caps_from_string(out265 ? "video/x-h265,stream-format=byte-stream,alignment=au"
                                                      : "video/x-h264,stream-format=byte-stream,alignment=au"));
  g_object_set(filter, "caps", bytestream.get(), nullptr);
  gst_element_link_many(parse, filter, l->sink, nullptr);
  if (!chain.empty()) gst_element_link(chain.back(), parse);
  chain.push_back(parse);
  chain.push_back(filter);
  for (GstElement* e : chain) gst_element_sync_state_with_parent(e);
  gst::PadPtr sinkpad(gst_element_get_static_pad(chain.front(), "sink"));
  if (gst_pad_link(pad, sinkpad.get()) != GST_PAD_LINK_OK) l->error = "cannot link the video stream";
}

}  // namespace

Result<EncodedClip> LoadClip(const std::string& path, const ClipOptions& options) {
  gst::ElementPtr pipeline(gst_pipeline_new("clip-loader"));
  gst_object_ref_sink(pipeline.get());
  GstElement* src = Add(pipeline.get(), "filesrc");
  GstElement* parsebin = Add(pipeline.get(), "parsebin");
  GstElement* sink = Add(pipeline.get(), "appsink");
  g_object_set(src, "location", path.c_str(), nullptr);
  g_object_set(sink, "sync", FALSE, "max-buffers", 64u, nullptr);
  gst_element_link(src, parsebin);
  Loader loader{&options, pipeline.get(), sink, "", false};
  g_signal_connect(parsebin, "pad-added", G_CALLBACK(OnPad), &loader);

  EncodedClip clip;
  clip.codec = "h264";
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    return Error{path + ": cannot start reading"};
  }
  gst::BusPtr bus(gst_element_get_bus(pipeline.get()));
  int64_t first_dts = -1;
  for (;;) {
    gst::SamplePtr sample(gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 100 * GST_MSECOND));
    if (sample) {
      GstBuffer* buf = gst_sample_get_buffer(sample.get());
      if (clip.units.empty()) {
        const GstStructure* s = gst_caps_get_structure(gst_sample_get_caps(sample.get()), 0);
        clip.codec = gst_structure_has_name(s, "video/x-h265") ? "h265" : "h264";
        gst_structure_get_int(s, "width", &clip.width);
        gst_structure_get_int(s, "height", &clip.height);
      }
      AccessUnit au;
      au.bytes.resize(gst_buffer_get_size(buf));
      gst_buffer_extract(buf, 0, au.bytes.data(), au.bytes.size());
      GstClockTime pts = GST_BUFFER_PTS(buf), dts = GST_BUFFER_DTS(buf);
      if (!GST_CLOCK_TIME_IS_VALID(dts)) dts = pts;
      if (!GST_CLOCK_TIME_IS_VALID(pts)) pts = dts;
      if (first_dts < 0) first_dts = int64_t(dts);
      au.pts_ns = int64_t(pts) - first_dts;
      au.dts_ns = int64_t(dts) - first_dts;
      au.duration_ns = GST_BUFFER_DURATION_IS_VALID(buf) ? int64_t(GST_BUFFER_DURATION(buf)) : 0;
      au.keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
      clip.units.push_back(std::move(au));
      continue;
    }
    if (!loader.error.empty()) break;
    if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
    gst::MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
    if (msg) {
      GError* raw = nullptr;
      gst_message_parse_error(msg.get(), &raw, nullptr);
      gst::ErrorPtr err(raw);
      loader.error = err ? err->message : "unknown error";
      break;
    }
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  if (!loader.error.empty()) return Error{path + ": " + loader.error};
  if (clip.units.empty()) return Error{path + ": no video found"};
  while (!clip.units.empty() && !clip.units.front().keyframe) clip.units.erase(clip.units.begin());
  if (clip.units.empty()) return Error{path + ": no keyframe in the video"};
  // Durations: from the next unit's DTS where the container gave none.
  int64_t typical = 0;
  for (size_t i = 0; i + 1 < clip.units.size(); ++i) {
    AccessUnit& au = clip.units[i];
    if (au.duration_ns <= 0) au.duration_ns = clip.units[i + 1].dts_ns - au.dts_ns;
    if (au.duration_ns > 0) typical = au.duration_ns;
  }
  if (clip.units.back().duration_ns <= 0) clip.units.back().duration_ns = typical > 0 ? typical : GST_SECOND / 25;
  const int64_t base = clip.units.front().dts_ns;
  for (AccessUnit& au : clip.units) {
    au.dts_ns -= base;
    au.pts_ns -= base;
  }
  clip.duration_ns = clip.units.back().dts_ns + clip.units.back().duration_ns;
  return clip;
}

}  // namespace xl::camsim
