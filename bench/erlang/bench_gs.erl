%% bench_gs - the Erlang yardstick of docs/design.md §11: a gen_server answering
%% {inc, X} with X + 1 (the work of bench_inc), served on one node and called from
%% another node on the same machine.
%%
%% Server node:  erl -name S@127.0.0.1 ... -run bench_gs serve MaxSeconds
%% Client node:  erl -name C@127.0.0.1 ... -run bench_gs client S@127.0.0.1 Mode
%%                   Trips Callers Millis Rounds MaxSeconds
%%
%% The client prints one machine-readable line per measurement, so a driver can
%% interleave Erlang rounds with C rounds:
%%   erlang_ready <otp release>
%%   erlang_rtt_ns <mean ns of one gen_server:call over Trips calls>
%%   erlang_calls_per_s <calls/s of Callers processes calling for Millis ms>
%%   erlang_error <reason>            (then the node halts with status 1)
%% Mode "batch" runs Rounds rounds of each and halts; mode "step" reads one
%% command a line from stdin ("rtt" or "tput") and halts at "quit" or end of input,
%% which is what makes a killed driver take the nodes down with it.
-module(bench_gs).
-behaviour(gen_server).

-export([serve/1, client/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(CONNECT_MS, 20000).
-define(CALL_MS, 5000).

%% ---- the server ------------------------------------------------------------

init([]) -> {ok, nostate}.

handle_call({inc, X}, _From, S) -> {reply, X + 1, S}.

handle_cast(_Msg, S) -> {noreply, S}.

handle_info(_Msg, S) -> {noreply, S}.

%% Serves until the client node goes away after having connected, or MaxSeconds
%% pass, whichever comes first: the node never outlives its bench run.
serve([MaxSeconds]) ->
    {ok, _} = gen_server:start({local, bench_gs}, ?MODULE, [], []),
    ok = net_kernel:monitor_nodes(true),
    erlang:send_after(list_to_integer(MaxSeconds) * 1000, self(), too_long),
    serve_loop().

serve_loop() ->
    receive
        {nodedown, _Node} -> erlang:halt(0);
        too_long -> erlang:halt(2);
        _ -> serve_loop()
    end.

%% ---- the client ------------------------------------------------------------

client([Server, Mode, Trips, Callers, Millis, Rounds, MaxSeconds]) ->
    halt_after(list_to_integer(MaxSeconds)),
    Srv = list_to_atom(Server),
    Cfg = #{srv => {bench_gs, Srv}, trips => list_to_integer(Trips),
            callers => list_to_integer(Callers), ms => list_to_integer(Millis)},
    try
        await_server(Srv, now_ms() + ?CONNECT_MS),
        warm_up(Cfg),
        say("erlang_ready ~s", [erlang:system_info(otp_release)]),
        case Mode of
            "batch" -> batch(Cfg, list_to_integer(Rounds));
            "step" -> step(Cfg)
        end,
        erlang:halt(0)
    catch
        Class:Reason ->
            say("erlang_error ~p:~0p", [Class, Reason]),
            erlang:halt(1)
    end.

%% The server node may still be booting: retry the connection, then wait for its
%% gen_server to be registered, all within one deadline.
await_server(Srv, Deadline) ->
    Up = net_kernel:connect_node(Srv) andalso
         is_pid(rpc:call(Srv, erlang, whereis, [bench_gs], ?CALL_MS)),
    case Up of
        true -> ok;
        false ->
            now_ms() < Deadline orelse error({server_not_up, Srv}),
            timer:sleep(50),
            await_server(Srv, Deadline)
    end.

warm_up(#{srv := S}) -> inc_loop(S, 2000).

batch(Cfg, Rounds) ->
    [rtt(Cfg) || _ <- lists:seq(1, Rounds)],
    [tput(Cfg) || _ <- lists:seq(1, Rounds)],
    ok.

step(Cfg) ->
    case io:get_line("") of
        "rtt\n" -> rtt(Cfg), step(Cfg);
        "tput\n" -> tput(Cfg), step(Cfg);
        "quit\n" -> ok;
        eof -> ok;
        Other -> error({unknown_command, Other})
    end.

%% One caller, Trips blocking calls back to back: the mean round trip.
rtt(#{srv := S, trips := Trips}) ->
    T0 = erlang:monotonic_time(nanosecond),
    inc_loop(S, Trips),
    T1 = erlang:monotonic_time(nanosecond),
    say("erlang_rtt_ns ~.1f", [(T1 - T0) / Trips]).

inc_loop(_S, 0) -> ok;
inc_loop(S, N) ->
    N = gen_server:call(S, {inc, N - 1}, ?CALL_MS),
    inc_loop(S, N - 1).

%% Callers processes call as fast as they can until a shared deadline; the rate
%% is all their calls over the time from the start signal to the last finisher.
tput(#{srv := S, callers := Callers, ms := Ms}) ->
    Parent = self(),
    Pids = [spawn_link(fun() -> tput_worker(Parent, S) end) || _ <- lists:seq(1, Callers)],
    T0 = erlang:monotonic_time(nanosecond),
    Deadline = T0 + Ms * 1000000,
    [P ! {go, Deadline} || P <- Pids],
    Total = lists:sum([receive {done, P, N} -> N
                       after Ms + ?CALL_MS * 2 -> error(throughput_worker_stuck)
                       end || P <- Pids]),
    T1 = erlang:monotonic_time(nanosecond),
    say("erlang_calls_per_s ~.1f", [Total * 1.0e9 / (T1 - T0)]).

tput_worker(Parent, S) ->
    receive {go, Deadline} -> Parent ! {done, self(), tput_loop(S, Deadline, 0)} end.

tput_loop(S, Deadline, N) ->
    case erlang:monotonic_time(nanosecond) < Deadline of
        true ->
            N = gen_server:call(S, {inc, N}, ?CALL_MS) - 1,
            tput_loop(S, Deadline, N + 1);
        false -> N
    end.

%% ---- helpers ---------------------------------------------------------------

%% Bounds the client's life even while it waits for a command that never comes.
halt_after(Seconds) ->
    spawn(fun() ->
              timer:sleep(Seconds * 1000),
              say("erlang_error client_ran_longer_than_~bs", [Seconds]),
              erlang:halt(3)
          end).

now_ms() -> erlang:monotonic_time(millisecond).

say(Fmt, Args) -> io:format(Fmt ++ "~n", Args).
