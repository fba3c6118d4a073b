#include "ingest/clips/clip_writer.h"

#include <gst/app/gstappsrc.h>

#include <cstdio>
#include <filesystem>

namespace xl::ingest {

Result<std::unique_ptr<ClipWriter>> ClipWriter::Create(const std::string& path, const std::string& codec) {
  if (codec != "h264" && codec != "h265") return Error{"clip " + path + ": unknown codec '" + codec + "'"};
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Error{"clip " + path + ": cannot create the folder: " + ec.message()};

  std::unique_ptr<ClipWriter> w(new ClipWriter());
  w->path_ = path;
  w->pipeline_.reset(gst_pipeline_new("clip"));
  gst_object_ref_sink(w->pipeline_.get());
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstElement* parse = gst_element_factory_make(codec == "h264" ? "h264parse" : "h265parse", nullptr);
  GstElement* mux = gst_element_factory_make("mp4mux", nullptr);
  GstElement* sink = gst_element_factory_make("filesink", nullptr);
  for (GstElement* e : {src, parse, mux, sink}) {
    if (e) gst_bin_add(GST_BIN(w->pipeline_.get()), e);
  }
  if (!src || !parse || !mux || !sink) {
    return Error{"clip " + path + ": a GStreamer element is missing (appsrc, " + codec + "parse, mp4mux, filesink)"};
  }
  gst::CapsPtr caps(gst_caps_new_simple(codec == "h264" ? "video/x-h264" : "video/x-h265", "stream-format",
                                        G_TYPE_STRING, "byte-stream", "alignment", G_TYPE_STRING, "au", nullptr));
  g_object_set(src, "caps", caps.get(), "format", GST_FORMAT_TIME, "is-live", FALSE, "max-bytes", guint64(0), "block",
               FALSE, nullptr);
  const std::string part = path + ".part";
  g_object_set(mux, "faststart", TRUE, "faststart-file", (path + ".mdat.part").c_str(), nullptr);
  g_object_set(sink, "location", part.c_str(), "sync", FALSE, "async", FALSE, nullptr);
  if (!gst_element_link_many(src, parse, mux, sink, nullptr)) return Error{"clip " + path + ": cannot link the muxer"};
  w->src_ = src;
  if (gst_element_set_state(w->pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    return Error{"clip " + path + ": cannot open " + part + " for writing"};
  }
  return w;
}

ClipWriter::~ClipWriter() {
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  if (!finished_) {
    std::remove((path_ + ".part").c_str());
    std::remove((path_ + ".mdat.part").c_str());
  }
}

void ClipWriter::Push(const StoredUnitPtr& unit) {
  if (units_ == 0) {
    base_us_ = unit->dts_us >= 0 ? unit->dts_us : unit->pts_us;
    first_arrival_ms_ = unit->arrival_ms;
  }
  last_arrival_ms_ = unit->arrival_ms;
  ++units_;
  // Wraps the shared bytes without copying; the buffer holds a reference until written.
  auto* hold = new StoredUnitPtr(unit);
  GstBuffer* buf = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, const_cast<char*>((*hold)->bytes.data()),
                                               (*hold)->bytes.size(), 0, (*hold)->bytes.size(), hold,
                                               [](gpointer p) { delete static_cast<StoredUnitPtr*>(p); });
  auto ns = [&](int64_t us) {
    return us < 0 || base_us_ < 0 ? GST_CLOCK_TIME_NONE : GstClockTime(std::max<int64_t>(us - base_us_, 0) * 1000);
  };
  GST_BUFFER_PTS(buf) = ns(unit->pts_us);
  GST_BUFFER_DTS(buf) = ns(unit->dts_us);
  if (!unit->keyframe) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gst_app_src_push_buffer(GST_APP_SRC(src_), buf);  // takes the buffer
}

Status ClipWriter::Finish(int64_t timeout_ms) {
  gst_app_src_end_of_stream(GST_APP_SRC(src_));
  gst::BusPtr bus(gst_element_get_bus(pipeline_.get()));
  gst::MessagePtr msg(gst_bus_timed_pop_filtered(bus.get(), GstClockTime(timeout_ms) * GST_MSECOND,
                                                 GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  std::string failure;
  if (!msg) {
    failure = "not complete after " + std::to_string(timeout_ms / 1000) + " s";
  } else if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
    GError* raw = nullptr;
    gst_message_parse_error(msg.get(), &raw, nullptr);
    gst::ErrorPtr err(raw);
    failure = err ? err->message : "write error";
  }
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  if (!failure.empty()) return Error{"clip " + path_ + ": " + failure};
  if (std::rename((path_ + ".part").c_str(), path_.c_str()) != 0) {
    return Error{"clip " + path_ + ": cannot rename the finished file"};
  }
  finished_ = true;
  std::remove((path_ + ".mdat.part").c_str());
  return Status();
}

}  // namespace xl::ingest
