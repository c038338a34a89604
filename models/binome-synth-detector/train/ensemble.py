"""Several exported detectors made into one model.onnx that averages their heatmap logits.

    python ensemble.py --out model.onnx A.onnx B.onnx:flip ...

Every member must take the station's input as this detector's exports do (`image`, [1, 1, H, W])
and give `heatmap` ([1, classes, H/stride, W/stride]) with the same classes and stride. A member
written `FILE:flip` is run on the image and on its up-down mirror image in one batch of 2, the
second heatmap flipped back, the two averaged (what `train.py --flip-average` exports; use it for
a file exported without it). The output is the mean of the members' logits: the same contract as
one member, the model time the sum of theirs.

Deterministic: the same members give the same bytes. Needs only `onnx` (requirements.txt), not
PyTorch: the members are read from their ONNX files, weights and all.
"""
import argparse
import sys

import onnx
from onnx import TensorProto, compose, helper

INPUT, OUTPUT = "image", "heatmap"


def flipped_up_down(name: str, out: str, prefix: str) -> list:
    """Nodes reversing axis 2 (rows) of `name` into `out`."""
    consts = {
        "starts": [-1], "ends": [-(2**63) + 1], "axes": [2], "steps": [-1],
    }
    nodes = [
        helper.make_node("Constant", [], [f"{prefix}{key}"], value=helper.make_tensor(f"{prefix}{key}_value", TensorProto.INT64, [1], value))
        for key, value in consts.items()
    ]
    nodes.append(helper.make_node("Slice", [name] + [f"{prefix}{key}" for key in consts], [out]))
    return nodes


def member_nodes(model: onnx.ModelProto, index: int, flip: bool) -> tuple[list, list, str]:
    """The member's nodes and weights under its own prefix, fed from the graph's input; returns them and its heatmap's name."""
    names = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    outs = [o.name for o in model.graph.output]
    if names != [INPUT] or outs != [OUTPUT]:
        sys.exit(f"member {index}: takes {names} and gives {outs}; a member takes [{INPUT!r}] and gives [{OUTPUT!r}]")
    prefix = f"m{index}_"
    renamed = compose.add_prefix(model, prefix)
    graph = renamed.graph
    nodes, member_in, member_out = [], prefix + INPUT, prefix + OUTPUT
    if not flip:
        nodes.append(helper.make_node("Identity", [INPUT], [member_in]))
        nodes.extend(graph.node)
        return nodes, list(graph.initializer), member_out
    # a batch of 2: the image and its mirror image; the second heatmap flipped back; the two averaged
    nodes.extend(flipped_up_down(INPUT, f"{prefix}mirrored", f"{prefix}in_"))
    nodes.append(helper.make_node("Concat", [INPUT, f"{prefix}mirrored"], [member_in], axis=0))
    nodes.extend(graph.node)
    nodes.append(helper.make_node("Constant", [], [f"{prefix}split"], value=helper.make_tensor(f"{prefix}split_value", TensorProto.INT64, [2], [1, 1])))
    nodes.append(helper.make_node("Split", [member_out, f"{prefix}split"], [f"{prefix}direct", f"{prefix}back"], axis=0))
    nodes.extend(flipped_up_down(f"{prefix}back", f"{prefix}unmirrored", f"{prefix}out_"))
    nodes.append(helper.make_node("Mean", [f"{prefix}direct", f"{prefix}unmirrored"], [f"{prefix}averaged"]))
    return nodes, list(graph.initializer), f"{prefix}averaged"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("members", nargs="+", help="exported detectors, FILE or FILE:flip")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if len(args.members) < 2 and not args.members[0].endswith(":flip"):
        sys.exit("an ensemble needs two members or more (or one with :flip)")
    models = []
    for spec in args.members:
        path, _, option = spec.partition(":")
        if option not in ("", "flip"):
            sys.exit(f"{spec}: the only option is :flip")
        models.append((onnx.load(path), option == "flip"))
    opsets = {next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) for m, _ in models}
    if len(opsets) != 1:
        sys.exit(f"the members use different opsets: {sorted(opsets)}")
    first = models[0][0]
    input_info = next(i for i in first.graph.input if i.name == INPUT)
    output_info = next(o for o in first.graph.output if o.name == OUTPUT)
    nodes, weights, heads = [], [], []
    for index, (model, flip) in enumerate(models):
        n, w, head = member_nodes(model, index, flip)
        nodes.extend(n)
        weights.extend(w)
        heads.append(head)
    nodes.append(helper.make_node("Mean", heads, [OUTPUT]))
    graph = helper.make_graph(nodes, "ensemble", [input_info], [output_info], weights)
    merged = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opsets.pop())], producer_name="binome ensemble.py")
    merged.ir_version = first.ir_version
    onnx.checker.check_model(merged, full_check=True)
    onnx.save(merged, args.out)
    print(f"{args.out}: {len(models)} members ({', '.join(args.members)}), {sum(w.ByteSize() for w in weights) / 1e6:.1f} MB of weights")


if __name__ == "__main__":
    main()
