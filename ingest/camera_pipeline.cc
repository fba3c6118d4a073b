#include "ingest/camera_pipeline.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "proto/camera/camera_url.h"

namespace xl::ingest {
namespace {

// Copies a mapped I420 frame into a contiguous Frame, cropped to even size.
bool ToFrame(GstSample* sample, analytics::Frame& out) {
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample))) return false;
  GstVideoFrame vf;
  if (!gst_video_frame_map(&vf, &info, gst_sample_get_buffer(sample), GST_MAP_READ)) return false;
  const int w = GST_VIDEO_INFO_WIDTH(&info) & ~1, h = GST_VIDEO_INFO_HEIGHT(&info) & ~1;
  out.width = w;
  out.height = h;
  out.time_ms = NowMs();
  out.i420.create(h * 3 / 2, w, CV_8UC1);
  uint8_t* dst = out.i420.data;
  for (int plane = 0; plane < 3; ++plane) {
    const int pw = plane ? w / 2 : w, ph = plane ? h / 2 : h;
    const uint8_t* src = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&vf, plane));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, plane);
    for (int y = 0; y < ph; ++y, dst += pw) std::memcpy(dst, src + y * stride, pw);
  }
  gst_video_frame_unmap(&vf);
  return true;
}

// Lowers the calling thread's priority to niceness `nice` (never raises it).
void LowerThisThread(int nice) {
  const pid_t tid = pid_t(syscall(SYS_gettid));
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, id_t(tid));
  if (errno == 0 && now < nice) setpriority(PRIO_PROCESS, id_t(tid), nice);
}

}  // namespace

CameraPipeline::CameraPipeline(const CameraConfig& camera, FrameCallback on_frame, EncodedCallback on_encoded,
                               PipelineCounters& counters, std::string secret)
    : camera_id_(camera.id),
      secret_(std::move(secret)),
      decode_threads_(camera.decode_threads),
      analysis_fps_(camera.analysis_fps),
      analysis_height_(camera.analysis_height),
      on_frame_(std::move(on_frame)),
      on_encoded_(std::move(on_encoded)),
      counters_(counters) {}

CameraPipeline::~CameraPipeline() { Stop(); }

void CameraPipeline::Stop() {
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstElement* CameraPipeline::Add(const char* factory) {
  GstElement* el = gst_element_factory_make(factory, nullptr);
  if (el) gst_bin_add(GST_BIN(pipeline_.get()), el);
  return el;
}

Status CameraPipeline::Build() {
  pipeline_.reset(gst_pipeline_new(("cam-" + camera_id_).c_str()));
  gst_object_ref_sink(pipeline_.get());
  bus_.reset(gst_element_get_bus(pipeline_.get()));
  const char* factories[] = {"videorate", "videoscale", "videoconvert", "capsfilter", "queue", "appsink"};
  GstElement* e[6];
  for (int i = 0; i < 6; ++i) {
    e[i] = Add(factories[i]);
    if (!e[i]) return Error{std::string("GStreamer element '") + factories[i] + "' is not installed"};
  }
  GstElement *rate = e[0], *caps = e[3], *queue = e[4], *sink = e[5];
  g_object_set(rate, "drop-only", TRUE, nullptr);
  int fps_n = 0, fps_d = 1;
  gst_util_double_to_fraction(analysis_fps_, &fps_n, &fps_d);
  gst::CapsPtr filter(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "height", G_TYPE_INT,
                                          analysis_height_, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, "framerate",
                                          GST_TYPE_FRACTION, fps_n, fps_d, nullptr));
  g_object_set(caps, "caps", filter.get(), nullptr);
  g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers", 2u, "max-size-bytes", 0u, "max-size-time",
               guint64(0), nullptr);
  g_object_set(sink, "sync", FALSE, "max-buffers", 2u, "drop", TRUE, "emit-signals", TRUE, nullptr);
  // Linked without caps checks: these elements always fit together, the formats are
  // negotiated when data flows, and checking here costs milliseconds per camera (a worker
  // taking on a thousand cameras at once would stall for seconds).
  for (int i = 0; i + 1 < 6; ++i) {
    if (!gst_element_link_pads_full(e[i], "src", e[i + 1], "sink", GST_PAD_LINK_CHECK_NOTHING)) {
      return Error{"cannot link the decode tail of camera " + camera_id_};
    }
  }
  tail_ = rate;
  g_signal_connect(sink, "new-sample", G_CALLBACK(&CameraPipeline::OnSample), this);
  return Status::Ok();
}

Status CameraPipeline::Play(int video_nice) {
  if (video_nice > 0) {
    // Each streaming thread posts STREAM_STATUS ENTER from itself before it carries data.
    gst_bus_set_sync_handler(
        bus_.get(),
        [](GstBus*, GstMessage* msg, gpointer nice) {
          if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_STREAM_STATUS) return GST_BUS_PASS;
          GstStreamStatusType type;
          gst_message_parse_stream_status(msg, &type, nullptr);
          if (type == GST_STREAM_STATUS_TYPE_ENTER) LowerThisThread(GPOINTER_TO_INT(nice));
          return GST_BUS_DROP;
        },
        GINT_TO_POINTER(video_nice), nullptr);
  }
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    return Error{"the pipeline refused to start"};
  }
  return Status::Ok();
}

void CameraPipeline::SetFailure(std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_) failure_ = camera::RedactSecret(std::move(reason), secret_);
}

std::optional<std::string> CameraPipeline::PollFailure() {
  const auto types = GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING);
  while (gst::MessagePtr msg{gst_bus_pop_filtered(bus_.get(), types)}) {
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_WARNING) {
      counters_.warnings.fetch_add(1);
    } else if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS) {
      SetFailure("end of stream");
    } else {
      GError* raw = nullptr;
      gchar* raw_debug = nullptr;
      gst_message_parse_error(msg.get(), &raw, &raw_debug);
      gst::ErrorPtr err(raw);
      gst::CharPtr debug(raw_debug);
      std::string reason = err ? err->message : "unknown GStreamer error";
      // The debug text's last line is the specific cause ("Failed to connect. (Generic error)").
      if (debug) {
        std::string detail = debug.get();
        detail = detail.substr(detail.find_last_of('\n') + 1);
        if (!detail.empty() && detail.find("/GstPipeline") == std::string::npos) reason += " (" + detail + ")";
      }
      SetFailure(reason);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

void CameraPipeline::Discard(GstPad* pad) {
  GstElement* sink = Add("fakesink");
  if (!sink) return;
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst::PadPtr sinkpad(gst_element_get_static_pad(sink, "sink"));
  gst_pad_link(pad, sinkpad.get());
  gst_element_sync_state_with_parent(sink);
}

// Runs on a streaming thread, once per video stream the source offers; only the first is
// decoded.
void CameraPipeline::LinkVideo(GstPad* pad, const std::string& codec, GstElement* front) {
  auto add = [this](const char* factory) { return Add(factory); };
  auto sync = [](std::initializer_list<GstElement*> els) {
    for (GstElement* el : els) {
      if (el) gst_element_sync_state_with_parent(el);
    }
  };
  if (video_linked_.exchange(true)) {
    if (front) gst_element_set_locked_state(front, TRUE);
    return Discard(pad);
  }
  const char *parse_name, *dec_name;
  if (codec == "H264") {
    parse_name = "h264parse", dec_name = "avdec_h264";
  } else if (codec == "H265") {
    parse_name = "h265parse", dec_name = "avdec_h265";
  } else {
    SetFailure("unsupported video codec '" + codec + "' (H.264 or H.265 needed)");
    return;
  }
  GstElement* parse = add(parse_name);
  GstElement* form = add("capsfilter");
  GstElement* tee = add("tee");
  GstElement* dec = add(dec_name);
  GstElement* valve = add("valve");
  GstElement* encoded = add("appsink");
  if (!parse || !form || !tee || !dec || !valve || !encoded) {
    SetFailure(std::string("GStreamer elements for ") + codec + " are not installed");
    return;
  }
  // Parameter sets in front of every keyframe, whole access units: what a live viewer that
  // joins at any keyframe needs, and what the decoder takes as well.
  g_object_set(parse, "config-interval", -1, nullptr);
  gst::CapsPtr form_caps(gst_caps_new_simple(codec == "H264" ? "video/x-h264" : "video/x-h265", "stream-format",
                                             G_TYPE_STRING, "byte-stream", "alignment", G_TYPE_STRING, "au", nullptr));
  g_object_set(form, "caps", form_caps.get(), nullptr);
  g_object_set(dec, "max-threads", decode_threads_, nullptr);
  g_object_set(valve, "drop", tap_.load() ? FALSE : TRUE, nullptr);
  g_object_set(encoded, "sync", FALSE, "async", FALSE, "emit-signals", TRUE, "max-buffers", 8u, "drop", TRUE, nullptr);
  g_signal_connect(encoded, "new-sample", G_CALLBACK(&CameraPipeline::OnEncoded), this);
  if ((front && !gst_element_link(front, parse)) || !gst_element_link_many(parse, form, tee, nullptr) ||
      !gst_element_link_many(tee, dec, tail_, nullptr) || !gst_element_link_many(tee, valve, encoded, nullptr)) {
    SetFailure("cannot link the " + codec + " decoder");
    return;
  }
  counters_.codec = codec == "H264" ? 264 : 265;
  {
    std::lock_guard<std::mutex> lock(mu_);
    valve_ = valve;
  }
  // The coded size, from the parser's caps.
  gst::PadPtr form_src(gst_element_get_static_pad(form, "src"));
  gst_pad_add_probe(
      form_src.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) -> GstPadProbeReturn {
        GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
        GstCaps* caps = nullptr;
        gst_event_parse_caps(ev, &caps);
        gint w = 0, h = 0;
        const GstStructure* st = gst_caps_get_structure(caps, 0);
        if (gst_structure_get_int(st, "width", &w) && gst_structure_get_int(st, "height", &h)) {
          auto* c = static_cast<PipelineCounters*>(data);
          c->width = uint32_t(w);
          c->height = uint32_t(h);
        }
        return GST_PAD_PROBE_OK;
      },
      &counters_, nullptr);
  // Health counters: encoded bytes in, decoded frames out.
  auto count = [](GstPad*, GstPadProbeInfo* info, gpointer data) -> GstPadProbeReturn {
    auto* c = static_cast<std::atomic<uint64_t>*>(data);
    if (GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info)) c->fetch_add(gst_buffer_get_size(b));
    return GST_PAD_PROBE_OK;
  };
  auto tick = [](GstPad*, GstPadProbeInfo*, gpointer data) -> GstPadProbeReturn {
    static_cast<std::atomic<uint64_t>*>(data)->fetch_add(1);
    return GST_PAD_PROBE_OK;
  };
  GstElement* first = front ? front : parse;
  gst::PadPtr first_sink(gst_element_get_static_pad(first, "sink"));
  gst_pad_add_probe(first_sink.get(), GST_PAD_PROBE_TYPE_BUFFER, count, &counters_.bytes, nullptr);
  gst::PadPtr dec_src(gst_element_get_static_pad(dec, "src"));
  gst_pad_add_probe(dec_src.get(), GST_PAD_PROBE_TYPE_BUFFER, tick, &counters_.decoded, nullptr);
  sync({encoded, valve, dec, tee, form, parse, front});
  if (gst_pad_link(pad, first_sink.get()) != GST_PAD_LINK_OK) SetFailure("cannot link the " + codec + " video stream");
}

void CameraPipeline::SetEncodedTap(bool on) {
  tap_ = on;
  std::lock_guard<std::mutex> lock(mu_);
  if (valve_) g_object_set(valve_, "drop", on ? FALSE : TRUE, nullptr);
}

GstFlowReturn CameraPipeline::OnEncoded(GstElement* sink, gpointer self) {
  auto* p = static_cast<CameraPipeline*>(self);
  gst::SamplePtr sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample.get());
  GstMapInfo map;
  if (!buf || !p->tap_ || !gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_FLOW_OK;
  auto us = [](GstClockTime t) { return GST_CLOCK_TIME_IS_VALID(t) ? int64_t(t / 1000) : int64_t(-1); };
  EncodedUnit unit{map.data,
                   map.size,
                   us(GST_BUFFER_PTS(buf)),
                   us(GST_BUFFER_DTS(buf)),
                   !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT),
                   p->counters_.codec_name()};
  p->on_encoded_(unit);
  gst_buffer_unmap(buf, &map);
  return GST_FLOW_OK;
}

GstFlowReturn CameraPipeline::OnSample(GstElement* sink, gpointer self) {
  auto* p = static_cast<CameraPipeline*>(self);
  gst::SamplePtr sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
  if (!sample) return GST_FLOW_EOS;
  analytics::Frame frame;
  if (ToFrame(sample.get(), frame)) p->on_frame_(frame);
  return GST_FLOW_OK;
}

}  // namespace xl::ingest
