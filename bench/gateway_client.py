# The lean queue server's benchmark as its own Python clients ran it (socket and json only): one
# connection, lockstep, ROUNDS × push_many of BATCH one-character messages, then
# pull_many(BATCH, timeout=0). Prints {"messages", "seconds"}.
import json, socket, sys, time

port, rounds, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sock = socket.create_connection(('127.0.0.1', port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
reader = sock.makefile('rb')
values = ['a'] * batch


def call(request):
    sock.sendall((json.dumps(request) + '\r\n').encode())
    return json.loads(reader.readline())


started = time.perf_counter()
pulled = 0
for _ in range(rounds):
    assert call(['push_many', values]) == ['success', None]
    status, got = call(['pull_many', [batch], {'timeout': 0}])
    assert status == 'success'
    pulled += len(got)
elapsed = time.perf_counter() - started
print(json.dumps({'messages': pulled, 'seconds': elapsed}))
