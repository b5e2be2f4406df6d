<out>/nebula_node.c \
 <out>/main.c \
 <out>/users.c \
 <out>/jobs.c: \
 <case>/nebula.yaml \
 <case>/main.c \
 <case>/jobs.h \
 <case>/users.h \
 <case>/users.c \
 <case>/jobs.c
