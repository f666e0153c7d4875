import { render, screen } from '@testing-library/react';
import { RetentionNote } from './RetentionNote';

describe('RetentionNote', () => {
  it('says how long finished tasks stay', () => {
    render(<RetentionNote retention={{ completed_secs: 86_400, failed_secs: 604_800 }} />);
    expect(screen.getByText(/deleted with their history/)).toHaveTextContent('completed after 1 d, failed after 7 d');
  });

  it('says forever for a status kept forever, or for both', () => {
    const { rerender } = render(<RetentionNote retention={{ completed_secs: 3600, failed_secs: null }} />);
    expect(screen.getByText(/deleted/)).toHaveTextContent('completed after 1 h, failed kept forever');
    rerender(<RetentionNote retention={{ completed_secs: null, failed_secs: null }} />);
    expect(screen.getByText(/kept forever/)).toBeInTheDocument();
  });

  it('shows nothing before the server answers', () => {
    const { container } = render(<RetentionNote retention={undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
