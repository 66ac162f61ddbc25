"""The block navigator is a model of which graph the canvas shows (a stack); the canvas, the breadcrumb and the
inspector follow it."""
from netbuilder.analysis.blocks import group_into_block
from netbuilder.ui.app import DEFAULT_TEMPLATE
from netbuilder.ui.canvas.breadcrumb import Breadcrumb
from netbuilder.ui.canvas.canvas import Canvas
from netbuilder.ui.canvas.stack import CanvasStack
from netbuilder.ui.canvas.view import GraphView
from netbuilder.ui.document import Document
from netbuilder.ui.inspector import Inspector


def grouped(names=("conv2", "relu2", "pool2"), name="ConvStage"):
    document = Document.from_template(DEFAULT_TEMPLATE)
    graph = document.graph
    edit, instance = group_into_block(graph, document.analysis, [graph.by_name(n).id for n in names], name)
    document.push(edit)
    return document, instance


def test_the_stack_opens_and_leaves_blocks_and_says_so_once_each(qtbot):
    document, instance = grouped()
    stack = CanvasStack()
    changes = []
    stack.changed.connect(lambda: changes.append(stack.path()))
    stack.set_document(document)
    assert stack.current is document and stack.levels() == [document]
    assert stack.open(document.graph.node_ids()[0]) == "image is not a block of this document"
    assert stack.open(instance) is None
    block = stack.current
    assert block.graph is document.graph.blocks["ConvStage"] and stack.levels() == [document, block]
    assert stack.model_name("conv2") == f"{document.graph.node(instance).name}.conv2"
    assert changes == [[document.title], [document.title, "ConvStage"]]  # (the refused open said nothing)
    stack.leave()
    assert stack.current is document and len(changes) == 3
    stack.leave()  # nothing to leave: nothing said
    assert len(changes) == 3
    document.close()


def test_canvas_breadcrumb_and_inspector_follow_the_stack(qtbot):
    document, instance = grouped()
    stack = CanvasStack()
    view = GraphView(None)
    qtbot.addWidget(view)
    canvas = Canvas(view, stack)
    crumb, inspector = Breadcrumb(stack), Inspector()
    qtbot.addWidget(crumb)
    qtbot.addWidget(inspector)
    inspector.follow(canvas)
    shown = []
    canvas.sceneChanged.connect(shown.append)
    stack.set_document(document)
    top = canvas.scene
    assert view.scene() is top and top.document is document and crumb.isHidden()
    top.select_nodes([instance])
    assert inspector.document is document and inspector.node_id == instance
    stack.open(instance)
    inner = canvas.scene
    assert inner is not top and inner.document is stack.current and view.scene() is inner
    assert not crumb.isHidden() and inspector.node_id is None  # nothing selected in the block yet
    conv = inner.graph.by_name("conv2").id
    inner.select_nodes([conv])
    assert inspector.document is stack.current and inspector.node_id == conv
    stack.leave()
    assert canvas.scene is top and view.scene() is top and crumb.isHidden()
    assert inspector.node_id == instance  # the selection it was opened from
    assert shown == [top, inner, top]
    canvas.detach()
    document.close()
