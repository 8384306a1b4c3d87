/*
 * worker.c: authd's verification threads (see worker.h).  The only code
 * in authd that runs outside the main thread; it touches nothing but the
 * job it was handed and the two lists guarded by the mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "authd/password.h"
#include "authd/worker.h"
#include "common/log.h"

static pthread_mutex_t	 worker_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 worker_cv = PTHREAD_COND_INITIALIZER;
static struct worker_job *worker_todo, *worker_finished;
static int		 worker_free;
static int		 worker_pipe[2];

static void
worker_run(struct worker_job *job)
{
	int i, ok[WORKER_CANDIDATES];

	for (i = 0; i < WORKER_CANDIDATES; i++)
		ok[i] = password_verify(job->mcf, job->cand[i].pw,
		    job->cand[i].len) == 1;
	job->matched = -1;
	for (i = WORKER_CANDIDATES - 1; i >= 0; i--)
		if (ok[i])
			job->matched = i;
}

static void *
worker_main(void *arg)
{
	struct worker_job *job;
	char c = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&worker_mtx);
		while (worker_todo == NULL)
			pthread_cond_wait(&worker_cv, &worker_mtx);
		job = worker_todo;
		worker_todo = job->next;
		pthread_mutex_unlock(&worker_mtx);

		worker_run(job);

		pthread_mutex_lock(&worker_mtx);
		job->next = worker_finished;
		worker_finished = job;
		worker_free++;
		pthread_mutex_unlock(&worker_mtx);
		while (write(worker_pipe[1], &c, 1) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

int
worker_start(int n)
{
	pthread_t t;
	int i;

	if (pipe2(worker_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("cannot make the worker pipe");
	worker_free = n;
	for (i = 0; i < n; i++)
		if ((errno = pthread_create(&t, NULL, worker_main, NULL)) != 0)
			fatal("cannot start a verification thread");
	return worker_pipe[0];
}

void
worker_submit(struct worker_job *job)
{
	pthread_mutex_lock(&worker_mtx);
	if (worker_free <= 0)
		fatalx("internal error: no idle verification thread");
	worker_free--;
	job->next = worker_todo;
	worker_todo = job;
	pthread_cond_signal(&worker_cv);
	pthread_mutex_unlock(&worker_mtx);
}

int
worker_idle(void)
{
	int n;

	pthread_mutex_lock(&worker_mtx);
	n = worker_free;
	pthread_mutex_unlock(&worker_mtx);
	return n;
}

struct worker_job *
worker_done(void)
{
	struct worker_job *list;
	char buf[64];

	while (read(worker_pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&worker_mtx);
	list = worker_finished;
	worker_finished = NULL;
	pthread_mutex_unlock(&worker_mtx);
	return list;
}

void
worker_wake(void)
{
	int saved = errno;
	char c = 0;

	if (write(worker_pipe[1], &c, 1) == -1)
		c = 1;		/* a full pipe wakes the loop anyway */
	errno = saved;
}

void
worker_job_wipe(struct worker_job *job)
{
	explicit_bzero(job->cand, sizeof(job->cand));
}
