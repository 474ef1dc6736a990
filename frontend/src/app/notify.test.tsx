import { act, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { renderWithProviders } from '../test/utils';
import { notifyError } from './notify';

describe('notifyError', () => {
  it('toasts the server detail with the correlation id in small text', async () => {
    renderWithProviders(<div />);
    act(() =>
      notifyError(new ApiError({ status: 409, detail: 'role: cannot demote or disable the last active admin', correlationId: 'cid-42' })),
    );
    expect(await screen.findByText('role: cannot demote or disable the last active admin')).toBeInTheDocument();
    expect(screen.getByTestId('toast-correlation-id')).toHaveTextContent('ref cid-42');
    expect(screen.getByText('Request failed (409)')).toBeInTheDocument();
  });
});
