#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Runs operation sequences on real Mnesia (ram_copies) and prints each result in a canonical
%% text form, for the differential tests of webnesia (test/differential/).
%%
%% Usage: escript mnesia-runner.escript OPS_FILE MNESIA_DIR
%%
%% OPS_FILE holds terms read with file:consult/1, one per sequence:
%%     {seq, Id, [{Tab, Type, [Attr, ...], [IndexAttr, ...]}, ...], [Op, ...]}.
%% Ops (Ctx is dirty outside a transaction, tx inside):
%%     {write, Tab, Rec}  {read, Tab, Key}  {delete, Tab, Key}  {delete_object, Tab, Rec}
%%     {match_object, Tab, Pattern}  {select, Tab, MatchSpec}  {select_chunked, Tab, MatchSpec, N}
%%     {first|last|all_keys|walk_fwd|walk_bwd|clear|fold, Tab}  {next|prev, Tab, Key}
%%     {index_read, Tab, Value, Attr}  {index_match_object, Tab, Pattern, Attr}
%%     {update_counter, Tab, Key, Incr}  {txn, [Op, ...], commit | {abort, Reason}}
%% Output, one line per op:  R <Id> <OpIndex> <json>  where <json> is {"r":Result} or
%% {"e":"reason"}, and a transaction's Result is {"tx":"atomic"|"aborted","reason":R,"ops":[...]}.
%% After each sequence:  END <Id>.  Canonical JSON of terms: integers and floats as numbers
%% (floats in their shortest form), binaries as strings, tuples and lists as arrays, true/false
%% as booleans, '$end_of_table' as null, other atoms as {"a":"name"}.

-mode(compile).

main([File, Dir]) ->
    ok = application:set_env(mnesia, dir, Dir),
    ok = mnesia:start(),
    {ok, Seqs} = file:consult(File),
    lists:foreach(fun run_seq/1, Seqs),
    stopped = mnesia:stop(),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: mnesia-runner.escript OPS_FILE MNESIA_DIR~n", []),
    halt(2).

run_seq({seq, Id, Tables, Ops}) ->
    [begin _ = mnesia:delete_table(T) end || T <- mnesia:system_info(tables), T =/= schema],
    lists:foreach(
      fun({Tab, Type, Attrs, Index}) ->
              {atomic, ok} = mnesia:create_table(Tab, [{type, Type}, {attributes, Attrs},
                                                       {index, Index}, {ram_copies, [node()]}])
      end, Tables),
    run_ops(Id, 0, Ops),
    io:format("END ~p~n", [Id]).

run_ops(_, _, []) -> ok;
run_ops(Id, I, [Op | Rest]) ->
    Out = case Op of
              {txn, Inner, End} -> {r, txn(Inner, End)};
              _ -> guarded(fun() -> dirty(Op) end)
          end,
    io:put_chars(["R ", integer_to_list(Id), " ", integer_to_list(I), " ", out_json(Out), "\n"]),
    run_ops(Id, I + 1, Rest).

guarded(F) ->
    try F() of R -> {r, R}
    catch
        exit:{aborted, Reason} -> {e, Reason};
        Class:Reason -> {e, {Class, Reason}}
    end.

out_json({r, R}) -> ["{\"r\":", json(R), "}"];
out_json({e, Reason}) -> ["{\"e\":", json_string(io_lib:format("~0tp", [Reason])), "}"].

%% ---- transactions: each op's result is kept in the process dictionary, so that the results
%% before an abort are printed too.

txn(Inner, End) ->
    put(acc, []),
    Res = mnesia:transaction(
            fun() ->
                    put(acc, []),
                    lists:foreach(fun(Op) -> put(acc, [{r, tx(Op)} | get(acc)]) end, Inner),
                    case End of
                        commit -> ok;
                        {abort, Why} -> mnesia:abort(Why)
                    end
            end),
    Ops = lists:reverse(get(acc)),
    {Status, Reason} = case Res of
                           {atomic, ok} -> {<<"atomic">>, null};
                           {aborted, R} when is_binary(R) -> {<<"aborted">>, R};
                           {aborted, _} -> {<<"aborted">>, <<"error">>}
                       end,
    {txjson, Status, Reason, Ops}.

%% ---- the operations, dirty and transactional

dirty({write, _, Rec}) -> mnesia:dirty_write(Rec);
dirty({read, T, K}) -> mnesia:dirty_read(T, K);
dirty({delete, T, K}) -> mnesia:dirty_delete(T, K);
dirty({delete_object, _, Rec}) -> mnesia:dirty_delete_object(Rec);
dirty({match_object, _, Pat}) -> mnesia:dirty_match_object(Pat);
dirty({select, T, MS}) -> mnesia:dirty_select(T, MS);
dirty({select_chunked, T, MS, N}) ->
    mnesia:activity(async_dirty, fun() -> chunks(mnesia:select(T, MS, N, read)) end);
dirty({first, T}) -> mnesia:dirty_first(T);
dirty({last, T}) -> mnesia:dirty_last(T);
dirty({next, T, K}) -> mnesia:dirty_next(T, K);
dirty({prev, T, K}) -> mnesia:dirty_prev(T, K);
dirty({walk_fwd, T}) -> walk(fun mnesia:dirty_next/2, T, mnesia:dirty_first(T), 0);
dirty({walk_bwd, T}) -> walk(fun mnesia:dirty_prev/2, T, mnesia:dirty_last(T), 0);
dirty({all_keys, T}) -> mnesia:dirty_all_keys(T);
dirty({index_read, T, V, A}) -> mnesia:dirty_index_read(T, V, A);
dirty({index_match_object, _, Pat, A}) -> mnesia:dirty_index_match_object(Pat, A);
dirty({update_counter, T, K, N}) -> mnesia:dirty_update_counter(T, K, N);
dirty({clear, T}) -> {atomic, ok} = mnesia:clear_table(T), ok;
dirty({fold, T}) ->
    mnesia:activity(async_dirty, fun() -> lists:reverse(mnesia:foldl(fun(R, A) -> [R | A] end, [], T)) end).

tx({write, T, Rec}) -> mnesia:write(T, Rec, write);
tx({read, T, K}) -> mnesia:read(T, K);
tx({delete, T, K}) -> mnesia:delete(T, K, write);
tx({delete_object, T, Rec}) -> mnesia:delete_object(T, Rec, write);
tx({match_object, T, Pat}) -> mnesia:match_object(T, Pat, read);
tx({select, T, MS}) -> mnesia:select(T, MS);
tx({first, T}) -> mnesia:first(T);
tx({last, T}) -> mnesia:last(T);
tx({next, T, K}) -> mnesia:next(T, K);
tx({prev, T, K}) -> mnesia:prev(T, K);
tx({walk_fwd, T}) -> walk(fun mnesia:next/2, T, mnesia:first(T), 0);
tx({walk_bwd, T}) -> walk(fun mnesia:prev/2, T, mnesia:last(T), 0);
tx({all_keys, T}) -> mnesia:all_keys(T);
tx({index_read, T, V, A}) -> mnesia:index_read(T, V, A);
tx({index_match_object, T, Pat, A}) -> mnesia:index_match_object(T, Pat, A, read).

chunks('$end_of_table') -> [];
chunks({Objs, Cont}) -> Objs ++ chunks(mnesia:select(Cont)).

walk(_, _, '$end_of_table', _) -> [];
walk(_, _, _, 10000) -> exit(walk_does_not_end);
walk(Next, T, K, N) -> [K | walk(Next, T, Next(T, K), N + 1)].

%% ---- canonical JSON

json({txjson, Status, Reason, Ops}) ->
    ["{\"tx\":", json(Status), ",\"reason\":", json(Reason), ",\"ops\":[",
     lists:join(",", [out_json(O) || O <- Ops]), "]}"];
json(true) -> "true";
json(false) -> "false";
json(null) -> "null";
json('$end_of_table') -> "null";
json(A) when is_atom(A) -> ["{\"a\":", json_string(atom_to_list(A)), "}"];
json(I) when is_integer(I) -> integer_to_list(I);
json(F) when is_float(F) -> float_to_list(F, [short]);
json(B) when is_binary(B) -> json_string(unicode:characters_to_list(B));
json(T) when is_tuple(T) -> json(tuple_to_list(T));
json(L) when is_list(L) -> ["[", lists:join(",", [json(X) || X <- L]), "]"];
json(Other) -> json_string(io_lib:format("~0tp", [Other])).

json_string(Chars) ->
    [$", [esc(C) || C <- lists:flatten(Chars)], $"].

esc($") -> "\\\"";
esc($\\) -> "\\\\";
esc(C) when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
esc(C) -> <<C/utf8>>.
