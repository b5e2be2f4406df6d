<out>/nebula_node.c \
 <out>/geo.c \
 <out>/app.c: \
 <case>/nebula.yaml \
 <case>/geo.c \
 <case>/include/shapes.h \
 <case>/app.c
