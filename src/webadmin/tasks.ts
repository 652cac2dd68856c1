// James answers its long operations (deleting mails from a queue, clearing it) with 201 {"taskId"} and
// lets the caller follow /tasks/{taskId}. Tessera's run at once, so the task is already completed when
// its id is handed out; the last few are kept for /tasks so scripts written for James keep working.
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../store/types.js';

export const KEPT_TASKS = 200;

export interface CompletedTask {
  taskId: string;
  type: string;
  status: 'completed' | 'failed';
  submitDate: string;
  startedDate: string;
  completedDate: string;
  additionalInformation: { [key: string]: JsonValue };
}

export class TaskLog {
  private readonly tasks = new Map<string, CompletedTask>();

  /** Runs `work` now and records it as a task; the id is what James' 201 answer carries. */
  async run(type: string, work: () => Promise<{ [key: string]: JsonValue }>): Promise<CompletedTask> {
    const started = new Date().toISOString();
    let additionalInformation: { [key: string]: JsonValue };
    let status: CompletedTask['status'] = 'completed';
    try {
      additionalInformation = await work();
    } catch (err) {
      status = 'failed';
      additionalInformation = { error: err instanceof Error ? err.message : String(err) };
    }
    const task: CompletedTask = { taskId: randomUUID(), type, status, submitDate: started, startedDate: started, completedDate: new Date().toISOString(), additionalInformation };
    this.tasks.set(task.taskId, task);
    // Map keeps insertion order: the oldest task goes first.
    if (this.tasks.size > KEPT_TASKS) this.tasks.delete(this.tasks.keys().next().value!);
    return task;
  }

  get(id: string): CompletedTask | undefined {
    return this.tasks.get(id);
  }

  list(): CompletedTask[] {
    return [...this.tasks.values()];
  }
}
