<out>/nebula_node.c \
 <out>/tool.c: \
 <case>/nebula.yaml \
 <case>/tool.c
