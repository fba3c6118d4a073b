#!/usr/bin/python3
"""Converts a TensorFlow.js graph model (model.json + weight shards) into an ONNX model that
OpenCV 4.6's cv::dnn loads. Debian's python3-onnx and python3-numpy only.

    tfjs_to_onnx.py MODEL.json OUT.onnx --outputs NAME[=ONNX_NAME] ... [--size S]

The graph is cut at --outputs (TF node names; post-processing after them, such as TopK, is
left to the caller) and laid out NCHW: the ONNX input "images" is [1, 3, S, S], each output
NCHW. S defaults to the model's own input size; another (a multiple of 32 for strided
detectors) turns the graph's fixed resize sizes into factors. cv::dnn 4.6 needs the size
fixed in the file (it cannot broadcast squeeze-excite gates over open sizes) and must be
fed exactly that size. Supported ops are those of
convolutional detectors (conv, depthwise conv, fused bias and activations, add, mul, mean,
bilinear resize, concat, sigmoid). What OpenCV 4.6 cannot take is rewritten:
  Relu6(x)          -> Relu(x) - Relu(x - 6)      (it rejects Clip with min/max inputs)
  SAME padding      -> explicit, asymmetric pads  (TF pads the end more)
  fused conv + bias + activation -> Conv, then the activation
  ResizeBilinear    -> Resize (opset 11) by scales, coordinate_transformation_mode from
                       align_corners / half_pixel_centers
Weights stored as float16 (quantised) are widened to float32. Anything else is refused with
the op and node named, exit status 1.
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class ConversionError(Exception):
    pass


def load_weights(model, folder):
    """Name -> numpy array for every weight of the manifest (float16 widened)."""
    weights = {}
    for group in model['weightsManifest']:
        data = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            shape = w['shape']
            count = int(np.prod(shape)) if shape else 1
            quant = w.get('quantization')
            if quant:
                dtype = {'float16': np.float16, 'uint8': np.uint8, 'uint16': np.uint16}[quant['dtype']]
                raw = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
                offset += raw.nbytes
                if quant['dtype'] == 'float16':
                    value = raw.astype(np.float32)
                else:
                    value = raw.astype(np.float32) * quant['scale'] + quant['min']
            else:
                dtype = {'float32': np.float32, 'int32': np.int32, 'bool': np.bool_}[w['dtype']]
                value = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
                offset += value.nbytes
            if offset > len(data):
                raise ConversionError(f"weight shards end before weight '{w['name']}'")
            weights[w['name']] = value.reshape(shape).copy()
    return weights


def text(attr, key, default=''):
    if key not in attr:
        return default
    return base64.b64decode(attr[key]['s']).decode()


def ints(attr, key, default=None):
    if key not in attr:
        return default
    return [int(i) for i in attr[key]['list'].get('i', [])]


class Converter:
    def __init__(self, model, weights, size, own_size):
        self.nodes = {n['name']: n for n in model['modelTopology']['node']}
        self.weights = weights
        self.size = size
        self.own_size = own_size  # the size the graph's constants were made for
        self.onnx_nodes = []
        self.initializers = []
        self.done = {}   # TF name -> ONNX value name
        self.shapes = {}  # ONNX value name -> spatial size (h, w) where known
        self.counter = 0

    def fresh(self, base):
        self.counter += 1
        return f'{base}__{self.counter}'

    def const(self, name, value):
        onnx_name = self.fresh(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), onnx_name))
        return onnx_name

    def emit(self, op, inputs, name, **attrs):
        out = self.fresh(name)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def weight(self, name):
        name = name.split(':')[0]
        if name not in self.weights:
            raise ConversionError(f"'{name}' is not a constant")
        return self.weights[name]

    def is_const(self, name):
        return name.split(':')[0] in self.weights

    def activation(self, value, op, name):
        if op == 'Relu':
            return self.emit('Relu', [value], name)
        if op == 'Relu6':
            relu = self.emit('Relu', [value], name)
            shifted = self.emit('Add', [value, self.const(name + '/m6', np.array(-6, np.float32))], name)
            return self.emit('Sub', [relu, self.emit('Relu', [shifted], name)], name)
        if op == 'Sigmoid':
            return self.emit('Sigmoid', [value], name)
        raise ConversionError(f"activation '{op}' in '{name}' is not supported")

    def spatial(self, value):
        return self.shapes.get(value)

    def conv(self, node, x, depthwise):
        name = node['name']
        attr = node.get('attr', {})
        if text(attr, 'data_format', 'NHWC') != 'NHWC':
            raise ConversionError(f"'{name}': only NHWC convolutions are supported")
        w = self.weight(node['input'][1])  # HWIO, or HWC1 for depthwise
        kh, kw = w.shape[0], w.shape[1]
        strides = ints(attr, 'strides', [1, 1, 1, 1])[1:3]
        dilations = ints(attr, 'dilations', [1, 1, 1, 1])[1:3]
        if depthwise:
            channels, multiplier = w.shape[2], w.shape[3]
            kernel = w.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, kh, kw)
            group = channels
        else:
            kernel = w.transpose(3, 2, 0, 1)
            group = 1
        padding = text(attr, 'padding', 'VALID')
        h, w_ = self.spatial(x)
        if padding == 'SAME':
            pads_begin, pads_end = [], []
            for size, k, s, d in ((h, kh, strides[0], dilations[0]), (w_, kw, strides[1], dilations[1])):
                out = -(-size // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                pads_begin.append(total // 2)
                pads_end.append(total - total // 2)
            out_hw = (-(-h // strides[0]), -(-w_ // strides[1]))
        elif padding == 'VALID':
            pads_begin, pads_end = [0, 0], [0, 0]
            out_hw = ((h - (kh - 1) * dilations[0] - 1) // strides[0] + 1,
                      (w_ - (kw - 1) * dilations[1] - 1) // strides[1] + 1)
        else:
            raise ConversionError(f"'{name}': padding '{padding}' is not supported")
        inputs = [x, self.const(name + '/W', kernel.astype(np.float32))]
        fused = [base64.b64decode(s).decode() for s in attr.get('fused_ops', {}).get('list', {}).get('s', [])]
        if fused:
            if fused[0] != 'BiasAdd':
                raise ConversionError(f"'{name}': fused ops {fused} are not supported")
            inputs.append(self.const(name + '/B', self.weight(node['input'][2]).astype(np.float32)))
        y = self.emit('Conv', inputs, name, kernel_shape=[kh, kw], strides=strides, dilations=dilations,
                      pads=pads_begin + pads_end, group=group)
        self.shapes[y] = out_hw
        for op in fused[1:]:
            y = self.activation(y, op, name)
            self.shapes[y] = out_hw
        return y

    def broadcastable(self, name):
        """A constant as an NCHW operand: scalars stay, per-channel vectors become [C,1,1]."""
        value = self.weight(name).astype(np.float32)
        if value.ndim == 0 or value.size == 1:
            return self.const(name, value.reshape(()))
        if value.ndim == 1:
            return self.const(name, value.reshape(-1, 1, 1))
        raise ConversionError(f"constant '{name}' of shape {list(value.shape)} cannot be broadcast NCHW")

    def convert(self, tf_name):
        tf_name = tf_name.split(':')[0]
        if tf_name in self.done:
            return self.done[tf_name]
        stack = [tf_name]
        while stack:  # depth first, without recursion (graphs are deep)
            name = stack[-1]
            node = self.nodes.get(name)
            if node is None:
                raise ConversionError(f"no node '{name}'")
            pending = [i.split(':')[0] for i in node.get('input', [])
                       if not i.startswith('^') and i.split(':')[0] not in self.done and not self.is_const(i)]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if name not in self.done:
                self.done[name] = self.convert_node(node)
        return self.done[tf_name]

    def convert_node(self, node):
        op, name = node['op'], node['name']
        inputs = [i for i in node.get('input', []) if not i.startswith('^')]
        attr = node.get('attr', {})
        value = lambda i: self.done[inputs[i].split(':')[0]]
        if op == 'Placeholder':
            y = self.emit('Identity', ['images'], name)
            self.shapes[y] = (self.size, self.size)
            return y
        if op in ('_FusedConv2D', 'Conv2D'):
            return self.conv(node, value(0), depthwise=False)
        if op in ('FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative'):
            return self.conv(node, value(0), depthwise=True)
        if op in ('Relu', 'Relu6', 'Sigmoid'):
            y = self.activation(value(0), op, name)
            self.shapes[y] = self.spatial(value(0))
            return y
        if op == 'Identity':
            return value(0)
        if op in ('Add', 'AddV2', 'Mul', 'Sub'):
            onnx_op = {'Add': 'Add', 'AddV2': 'Add', 'Mul': 'Mul', 'Sub': 'Sub'}[op]
            a_const, b_const = self.is_const(inputs[0]), self.is_const(inputs[1])
            if a_const and b_const:
                raise ConversionError(f"'{name}': both operands constant")
            a = self.broadcastable(inputs[0]) if a_const else value(0)
            b = self.broadcastable(inputs[1]) if b_const else value(1)
            if a_const and onnx_op != 'Sub':
                a, b = b, a  # the tensor first: OpenCV takes constants as the second operand
            y = self.emit(onnx_op, [a, b], name)
            # A tensor-tensor op may broadcast (x * gate of a squeeze-excite): the larger size.
            sizes = [self.spatial(v) for i, v in ((0, a), (1, b)) if not (a_const, b_const)[i] and self.spatial(v)]
            self.shapes[y] = max(sizes, key=lambda hw: hw[0] * hw[1]) if sizes else None
            return y
        if op == 'Mean':
            axes = [int(a) for a in np.atleast_1d(self.weight(inputs[1]))]
            if sorted(axes) != [1, 2]:
                raise ConversionError(f"'{name}': Mean over axes {axes} is not supported (only 1, 2)")
            y = self.emit('ReduceMean', [value(0)], name, axes=[2, 3], keepdims=1 if attr.get('keep_dims', {}).get('b') else 0)
            self.shapes[y] = (1, 1)
            return y
        if op == 'ResizeBilinear':
            h, w = self.spatial(value(0))
            target = [int(v) for v in self.weight(inputs[1])]
            # The graph's fixed target size is a multiple of its input's at the model's own
            # size: keep the factor, so the model takes other input sizes.
            own = self.own_size / self.size
            factor_h, factor_w = target[0] / (h * own), target[1] / (w * own)
            if attr.get('align_corners', {}).get('b'):
                mode = 'align_corners'
            elif attr.get('half_pixel_centers', {}).get('b'):
                mode = 'half_pixel'
            else:
                mode = 'asymmetric'
            scales = self.const(name + '/scales', np.array([1, 1, factor_h, factor_w], np.float32))
            roi = self.const(name + '/roi', np.array([], np.float32))
            y = self.emit('Resize', [value(0), roi, scales], name, mode='linear', coordinate_transformation_mode=mode)
            self.shapes[y] = (int(h * factor_h), int(w * factor_w))
            return y
        if op == 'ConcatV2':
            axis = int(self.weight(inputs[-1]))
            if axis not in (3, -1):
                raise ConversionError(f"'{name}': concat on axis {axis} is not supported (only channels)")
            parts = [self.done[i.split(':')[0]] for i in inputs[:-1]]
            y = self.emit('Concat', parts, name, axis=1)
            self.shapes[y] = self.spatial(parts[0])
            return y
        raise ConversionError(f"op '{op}' (node '{name}') is not supported")


def main():
    parser = argparse.ArgumentParser(description='TensorFlow.js graph model -> ONNX for OpenCV 4.6')
    parser.add_argument('model')
    parser.add_argument('out')
    parser.add_argument('--outputs', nargs='+', required=True)
    parser.add_argument('--size', type=int, default=0)
    args = parser.parse_args()
    try:
        with open(args.model) as f:
            model = json.load(f)
        if model.get('format') != 'graph-model':
            raise ConversionError(f"{args.model} is not a TensorFlow.js graph model")
        weights = load_weights(model, os.path.dirname(os.path.abspath(args.model)))
        placeholders = [n for n in model['modelTopology']['node'] if n['op'] == 'Placeholder']
        if len(placeholders) != 1:
            raise ConversionError('the model must have exactly one input')
        dims = [int(d['size']) for d in placeholders[0]['attr']['shape']['shape']['dim']]
        if len(dims) != 4 or dims[3] != 3 or dims[1] != dims[2]:
            raise ConversionError(f'the input must be [1, S, S, 3], not {dims}')
        size = args.size or dims[1]
        if size % 32:
            raise ConversionError(f'--size {size} is not a multiple of 32')
        conv = Converter(model, weights, size, dims[1])
        outputs = []
        for spec in args.outputs:
            tf_name, _, onnx_name = spec.partition('=')
            y = conv.convert(tf_name)
            final = onnx_name or tf_name
            conv.onnx_nodes.append(helper.make_node('Identity', [y], [final], name=final))
            outputs.append(helper.make_tensor_value_info(final, TensorProto.FLOAT, ['n', 'c', 'h', 'w']))
        graph = helper.make_graph(conv.onnx_nodes, 'converted',
                                  [helper.make_tensor_value_info('images', TensorProto.FLOAT, [1, 3, size, size])],
                                  outputs, conv.initializers)
        onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)],
                                       producer_name='xueliang tfjs_to_onnx')
        onnx_model.ir_version = 6
        onnx.checker.check_model(onnx_model)
        onnx.save(onnx_model, args.out)
    except (ConversionError, OSError, KeyError, ValueError, json.JSONDecodeError) as e:
        print(f'tfjs_to_onnx: {args.model}: {e}', file=sys.stderr)
        return 1
    print(f'tfjs_to_onnx: wrote {args.out} ({len(conv.onnx_nodes)} nodes, input [1, 3, {size}, {size}])')
    return 0


if __name__ == '__main__':
    sys.exit(main())
