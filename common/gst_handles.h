// RAII owners for GStreamer and GLib handles: each releases its object exactly once.
#pragma once

#include <gst/gst.h>

#include <memory>

namespace xl::gst {

struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct SampleUnref {
  void operator()(GstSample* p) const {
    if (p) gst_sample_unref(p);
  }
};
struct CapsUnref {
  void operator()(GstCaps* p) const {
    if (p) gst_caps_unref(p);
  }
};
struct MessageUnref {
  void operator()(GstMessage* p) const {
    if (p) gst_message_unref(p);
  }
};
struct ErrorFree {
  void operator()(GError* p) const {
    if (p) g_error_free(p);
  }
};
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
struct MainLoopUnref {
  void operator()(GMainLoop* p) const {
    if (p) g_main_loop_unref(p);
  }
};

// Plain GObjects (GSocket, GSocketConnection, GSocketAddress, ...).
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
// A GSource attached to a main context: destroyed (detached) and released.
struct SourceDestroy {
  void operator()(GSource* s) const {
    if (s) {
      g_source_destroy(s);
      g_source_unref(s);
    }
  }
};
using SourcePtr = std::unique_ptr<GSource, SourceDestroy>;

using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using BusPtr = std::unique_ptr<GstBus, ObjectUnref>;
using PadPtr = std::unique_ptr<GstPad, ObjectUnref>;
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;
using CapsPtr = std::unique_ptr<GstCaps, CapsUnref>;
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, GFree>;
using MainLoopPtr = std::unique_ptr<GMainLoop, MainLoopUnref>;

// Takes a floating or new reference to an element created by a factory.
inline ElementPtr MakeElement(const char* factory, const char* name = nullptr) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (e) gst_object_ref_sink(e);
  return ElementPtr(e);
}

}  // namespace xl::gst
